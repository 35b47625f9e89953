/* The video room (consult/video.html, docs/consult.md "Video visits"): WebRTC between the two browsers, signalling
   over the room's WebSocket (consult/consumers.py). The media never pass through the platform's servers.
   The party already in the room makes the offer when the other arrives ("peer-joined"); the newcomer answers.
   #video-room[data-connection-state] mirrors RTCPeerConnection.connectionState (tests wait for "connected"). */
(function () {
  "use strict";
  var root = document.getElementById("video-room");
  if (!root || root.dataset.roomOpen !== "1") { return; }
  var iceServers = JSON.parse(document.getElementById("video-ice-servers").textContent || "[]");
  var localVideo = document.getElementById("video-local");
  var remoteVideo = document.getElementById("video-remote");
  var statusEl = document.getElementById("video-status");
  var muteButton = document.getElementById("video-mute");
  var cameraButton = document.getElementById("video-camera");
  var leaveButton = document.getElementById("video-leave");
  var pc = null, ws = null, stream = null, pendingIce = [], left = false;
  var queue = Promise.resolve();

  function msg(key) { return root.dataset["msg" + key.charAt(0).toUpperCase() + key.slice(1)] || key; }
  function say(text) { statusEl.textContent = text; }
  function setState(state) { root.dataset.connectionState = state; }
  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(message)); }
  }

  function closePeer() {
    if (pc) { pc.onconnectionstatechange = null; pc.close(); pc = null; }
    pendingIce = [];
    remoteVideo.srcObject = null;
  }

  function newPeer() {
    closePeer();
    pc = new RTCPeerConnection({ iceServers: iceServers });
    if (stream) { stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); }); }
    pc.onicecandidate = function (event) {
      if (event.candidate) { send({ type: "ice", data: event.candidate.toJSON() }); }
    };
    pc.ontrack = function (event) {
      if (event.streams[0] && remoteVideo.srcObject !== event.streams[0]) { remoteVideo.srcObject = event.streams[0]; }
    };
    pc.onconnectionstatechange = function () {
      if (!pc) { return; }
      setState(pc.connectionState);
      if (pc.connectionState === "connected") { say(msg("connected")); }
      else if (pc.connectionState === "failed") { say(msg("failed")); }
      else if (pc.connectionState === "connecting") { say(msg("connecting")); }
    };
    setState(pc.connectionState);
    return pc;
  }

  function flushIce() {
    var waiting = pendingIce;
    pendingIce = [];
    return Promise.all(waiting.map(function (c) { return pc.addIceCandidate(c); }));
  }

  function handle(message) {
    switch (message.type) {
      case "joined":
        root.dataset.role = message.role;
        say(msg("waiting"));
        return Promise.resolve();
      case "peer-joined":
        newPeer();
        say(msg("connecting"));
        return pc.createOffer().then(function (offer) { return pc.setLocalDescription(offer); })
          .then(function () { send({ type: "offer", data: pc.localDescription.toJSON() }); });
      case "offer":
        newPeer();
        say(msg("connecting"));
        return pc.setRemoteDescription(message.data).then(flushIce)
          .then(function () { return pc.createAnswer(); })
          .then(function (answer) { return pc.setLocalDescription(answer); })
          .then(function () { send({ type: "answer", data: pc.localDescription.toJSON() }); });
      case "answer":
        return pc ? pc.setRemoteDescription(message.data).then(flushIce) : Promise.resolve();
      case "ice":
        if (pc && pc.remoteDescription) { return pc.addIceCandidate(message.data); }
        pendingIce.push(message.data);
        return Promise.resolve();
      case "peer-left":
        closePeer();
        setState("waiting");
        say(msg("peerleft"));
        return Promise.resolve();
      case "refused":
        root.dataset.refused = "1";
        say(message.message || msg("refused"));
        return Promise.resolve();
      default:
        return Promise.resolve();
    }
  }

  function connect() {
    ws = new WebSocket(root.dataset.wsUrl);
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      // One message at a time: an ICE candidate must not overtake the offer it belongs to.
      queue = queue.then(function () { return handle(message); }).catch(function (error) {
        if (window.console) { window.console.warn("video signalling:", error); }
      });
    };
    ws.onclose = function (event) {
      if (event.code === 4403) {
        root.dataset.refused = "1";
        if (!statusEl.textContent || statusEl.textContent === msg("starting")) { say(msg("refused")); }
        setState("closed");
      } else if (!left) {
        say(msg("disconnected"));
        setState("closed");
      }
      closePeer();
    };
  }

  function toggle(kind, button, offKey, onKey) {
    if (!stream) { return; }
    var tracks = kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks();
    var off = button.getAttribute("aria-pressed") !== "true";
    tracks.forEach(function (track) { track.enabled = !off; });
    button.setAttribute("aria-pressed", off ? "true" : "false");
    button.textContent = msg(off ? onKey : offKey);
  }

  muteButton.addEventListener("click", function () { toggle("audio", muteButton, "mute", "unmute"); });
  cameraButton.addEventListener("click", function () { toggle("video", cameraButton, "cameraoff", "cameraon"); });
  leaveButton.addEventListener("click", function () {
    left = true;
    closePeer();
    if (ws) { ws.close(1000); }
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    localVideo.srcObject = null;
    setState("closed");
    say(msg("left"));
    leaveButton.disabled = muteButton.disabled = cameraButton.disabled = true;
  });

  say(msg("starting"));
  var media = navigator.mediaDevices && navigator.mediaDevices.getUserMedia
    ? navigator.mediaDevices.getUserMedia({ audio: true, video: true })
    : Promise.reject(new Error("no getUserMedia"));
  media.then(function (s) {
    stream = s;
    localVideo.srcObject = s;
    muteButton.disabled = cameraButton.disabled = false;
  }).catch(function () {
    say(msg("nomedia"));
  }).then(connect);
}());
