"""Validators of the tenant's own settings."""

from django.core.exceptions import ValidationError

LOYALTY_TIERS = ("new", "occasional", "regular", "loyal", "vip")


def default_loyalty_tiers() -> dict[str, int]:
    """Visit days within the loyalty window needed for each tier: a first visit is 'new'; two days make an
    occasional visitor; about monthly (4 in 90 days) regular; about fortnightly loyal; weekly or more VIP."""
    return {"occasional": 2, "regular": 4, "loyal": 8, "vip": 15}


def validate_loyalty_tiers(value) -> None:
    """Every tier above 'new' with a whole number of visit days, each tier needing more than the one below."""
    tiers = LOYALTY_TIERS[1:]
    if not isinstance(value, dict) or set(value) != set(tiers):
        raise ValidationError(
            f"Give the fewest visit days for each of {', '.join(tiers)}, e.g. {default_loyalty_tiers()}."
        )
    days = [value[tier] for tier in tiers]
    if not all(isinstance(n, int) and not isinstance(n, bool) and 2 <= n <= 1000 for n in days):
        raise ValidationError("Visit days must be whole numbers from 2 to 1000.")
    if days != sorted(set(days)):
        raise ValidationError("Each tier must need more visit days than the tier below it.")
