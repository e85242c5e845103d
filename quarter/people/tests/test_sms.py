"""The Aliyun SMS adapter: signature, request, answers. Only the HTTP call is mocked."""

import datetime as dt
import io
import json
import urllib.error
import urllib.parse

import pytest

from quarter.people import sms


def test_rpc_signature_matches_alibaba_cloud_documented_example():
    # The worked example of Alibaba Cloud's RPC signature documentation
    # (DescribeRegions, AccessKey secret "testsecret").
    params = {
        "TimeStamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }
    assert sms.rpc_signature(params, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def _sender():
    return sms.AliyunSender(
        access_key_id="LTAI-test",
        access_key_secret="secret",
        sign_name="一刻钟生活圈",
        template_code="SMS_123",
    )


class _Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_aliyun_sender_sends_a_signed_sendsms_request(monkeypatch):
    seen = {}

    def fake_urlopen(request, timeout):
        seen["url"] = request.full_url
        seen["timeout"] = timeout
        return _Response(json.dumps({"Code": "OK", "BizId": "9"}).encode())

    monkeypatch.setattr(sms.urllib.request, "urlopen", fake_urlopen)
    _sender().send_code("13800001234", "246810")
    url = urllib.parse.urlsplit(seen["url"])
    assert (url.scheme, url.netloc) == ("https", "dysmsapi.aliyuncs.com")
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query["Action"] == "SendSms" and query["Version"] == "2017-05-25"
    assert query["PhoneNumbers"] == "13800001234"
    assert json.loads(query["TemplateParam"]) == {"code": "246810"}
    assert query["SignName"] == "一刻钟生活圈"
    signature = query.pop("Signature")
    assert sms.rpc_signature(query, "secret") == signature


def test_aliyun_sender_raises_when_the_gateway_refuses(monkeypatch):
    def refused(request, timeout):
        return _Response(
            json.dumps({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "x"}).encode()
        )

    monkeypatch.setattr(sms.urllib.request, "urlopen", refused)
    with pytest.raises(sms.SmsError, match="MOBILE_NUMBER_ILLEGAL"):
        _sender().send_code("13800001234", "246810")

    def http_error(request, timeout):
        raise urllib.error.HTTPError(
            request.full_url,
            400,
            "Bad",
            {},
            io.BytesIO(b'{"Code":"SignatureDoesNotMatch"}'),
        )

    monkeypatch.setattr(sms.urllib.request, "urlopen", http_error)
    with pytest.raises(sms.SmsError, match="SignatureDoesNotMatch"):
        _sender().send_code("13800001234", "246810")


def test_aliyun_sender_timestamp_is_utc_iso8601():
    url = _sender().signed_url(
        "13800001234", "1", now=dt.datetime(2026, 12, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    assert "Timestamp=2026-12-02T03%3A04%3A05Z" in url


def test_get_sender_follows_settings(settings):
    settings.QUARTER_SMS_BACKEND = "console"
    assert isinstance(sms.get_sender(), sms.ConsoleSender)
    settings.QUARTER_SMS_BACKEND = "aliyun"
    settings.QUARTER_SMS_ALIYUN_ACCESS_KEY_ID = ""
    with pytest.raises(sms.SmsError, match="ACCESS_KEY_ID"):
        sms.get_sender()


def test_deploy_check_warns_about_the_console_sender(settings):
    from quarter.people.checks import check_sms_backend

    settings.DEBUG = False
    settings.QUARTER_SMS_BACKEND = "console"
    assert [w.id for w in check_sms_backend()] == ["people.W001"]
    settings.QUARTER_SMS_BACKEND = "aliyun"
    assert check_sms_backend() == []
