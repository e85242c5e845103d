"""Error codes of the surveys app: stable names for what went wrong."""

from enum import StrEnum


class SurveyErrorCode(StrEnum):
    NOT_SURVEY_MANAGER = "not_survey_manager"
    NOT_SURVEY_ENTRANT = "not_survey_entrant"
    NOT_A_REGISTERED_RESIDENT = "not_a_registered_resident"
    NOT_IN_WAVE = "not_in_survey_wave"
    WAVE_NOT_OPEN = "survey_wave_not_open"
    WAVE_NOT_DRAFT = "survey_wave_not_draft"
    BAD_TRANSITION = "survey_wave_bad_transition"
    ALREADY_ANSWERED = "survey_already_answered"
    NAME_REQUIRED = "survey_name_required"
    NO_COMMUNITIES = "survey_no_communities"
    NO_QUESTIONS = "survey_no_questions"
    QUESTION_TEXT_REQUIRED = "survey_question_text_required"
    TEXT_TOO_LONG = "survey_text_too_long"
    ANSWER_MISSING = "survey_answer_missing"
    ANSWER_INVALID = "survey_answer_invalid"
    TARGET_INVALID = "survey_target_invalid"
    BIRTH_YEAR_INVALID = "survey_birth_year_invalid"
    COMPOUND_NOT_IN_WAVE = "survey_compound_not_in_wave"
    POSTER_INVALID = "survey_poster_invalid"
