"""What ingest tells the rest of the product, so that it never imports the apps that react (alerts)."""

from django.dispatch import Signal

# A file job's events are stored (sent after its transaction commits), with `job`: the footage of hours that have
# passed, which the hourly schedule checked before the footage was there.
footage_stored = Signal()
