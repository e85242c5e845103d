"""Error codes of the people app."""

from enum import StrEnum


class PeopleErrorCode(StrEnum):
    PHONE_INVALID = "phone_invalid"
    PHONE_TAKEN = "phone_taken"
    PASSWORD_REJECTED = "password_rejected"
    ID_NUMBER_INVALID = "id_number_invalid"
    ID_NUMBER_TAKEN = "id_number_taken"
    NAME_REQUIRED = "name_required"
    ALREADY_VERIFIED = "already_verified"
    NOT_A_RESIDENT = "not_a_resident"
    TOO_MANY_LOGIN_ATTEMPTS = "too_many_login_attempts"
    HOUSEHOLD_REQUIRED = "household_required"
    # Resident register (居民名册).
    NOT_ON_REGISTER = "not_on_register"
    NOT_OPERATOR_OF_COMMUNITY = "not_operator_of_community"
    REGISTER_FILE_INVALID = "register_file_invalid"
    REGISTER_FILE_TOO_LARGE = "register_file_too_large"
    REGISTER_IMPORT_DONE = "register_import_done"
    ALREADY_MOVED_AWAY = "already_moved_away"
    REASON_REQUIRED = "reason_required"
    # Phone one-time codes.
    SMS_CODE_REQUIRED = "sms_code_required"
    SMS_CODE_WRONG = "sms_code_wrong"
    SMS_CODE_EXPIRED = "sms_code_expired"
    SMS_CODE_LOCKED = "sms_code_locked"
    SMS_TOO_SOON = "sms_too_soon"
    SMS_LIMIT_REACHED = "sms_limit_reached"
    SMS_SEND_FAILED = "sms_send_failed"
