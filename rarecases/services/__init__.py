"""rarecases services: every write of the app goes through one of these functions."""
from .cases import (  # noqa: F401
    case_cite,
    case_event_record,
    case_follow,
    case_forward,
    case_preview,
    case_unfollow,
    rare_case_confirm,
)
from .federation import (  # noqa: F401
    case_receive,
    outbox_deliver,
    outbox_sweep,
    peer_create,
    peer_fetch_profile,
    peer_rotate_keys,
    peer_set_secret,
    platform_profile,
    usage_receive,
)
from .mme import mme_import, mme_match, node_create, node_issue_token  # noqa: F401
from .rarity import rarity_analyze  # noqa: F401
from .refresh import case_refresh_all  # noqa: F401
from .sharing import rare_case_share, share_decide_all  # noqa: F401
from .similar import similar_search_start  # noqa: F401
from .trend import trend_model_train, trend_model_train_incremental  # noqa: F401
