import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "platform_site.settings.local")
application = get_wsgi_application()

# Import every app's URLs and views now, then take what start-up allocated (~220k objects: Django, DRF,
# pandas / scikit-learn / scipy through portraits) out of the cyclic garbage collector's reach, so a full
# collection does not re-scan them every few requests (measured in bench/booking.py; see docs/benchmarks.md).
get_resolver().url_patterns  # noqa: B018 - imports the URLconf
gc.collect()
gc.freeze()
