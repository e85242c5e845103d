import pytest

from quarter.vouchers.engines import use_engine


@pytest.fixture(autouse=True)
def settings_fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture(autouse=True)
def db_engine():
    from quarter.vouchers.engines.db_engine import DatabaseEngine

    engine = DatabaseEngine()
    use_engine(engine)
    yield engine
    use_engine(None)
