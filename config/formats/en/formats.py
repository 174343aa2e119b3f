"""One date and 24-hour time format everywhere Django formats a date or time itself (the admin, a value without an
explicit format): the same as the pages, which show times in the venue's time zone."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
