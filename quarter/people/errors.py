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
