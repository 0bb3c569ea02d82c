"""The Yunpian (云片) SMS gateway: what production sends instead of logging codes (issue 12, item 9).
A loopback HTTP server plays the gateway and answers as Yunpian's single_send does."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from accounts import sms, tasks


class FakeGateway:
    def __init__(self):
        self.requests: list[dict] = []
        self.answer = {"code": 0, "msg": "发送成功", "count": 1, "fee": 0.05, "unit": "RMB", "mobile": "", "sid": 1}
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
                gateway.requests.append({"path": self.path, "content_type": self.headers["Content-Type"],
                                         **{k: v[0] for k, v in parse_qs(body).items()}})
                payload = json.dumps(gateway.answer, ensure_ascii=False).encode()
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2/sms/single_send.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.SMS_BACKEND = "accounts.sms.YunpianBackend"
    settings.SMS_GATEWAY_URL = fake.url
    settings.SMS_API_KEY = "0123456789abcdef0123456789abcdef"
    settings.SMS_SIGNATURE = ""
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def test_a_code_is_posted_to_the_gateway_with_the_key(gateway):
    tasks.deliver_message("sms", "13800138000", "验证码", "【考试报名】您的验证码为：123456，2分钟内有效。")
    [request] = gateway.requests
    assert request["path"] == "/v2/sms/single_send.json"
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["apikey"] == "0123456789abcdef0123456789abcdef"
    assert request["mobile"] == "13800138000"
    assert request["text"] == "【考试报名】您的验证码为：123456，2分钟内有效。"


def test_the_approved_signature_replaces_the_texts_own(gateway, settings):
    settings.SMS_SIGNATURE = "中国认证认可协会"
    sms.get_backend().send("13800138000", "【考试报名】您的用户名为 lilei。")
    assert gateway.requests[0]["text"] == "【中国认证认可协会】您的用户名为 lilei。"


@pytest.mark.parametrize("status", [200, 400])
def test_a_refusal_raises_so_the_delivery_is_retried(gateway, status, caplog):
    gateway.status = status
    gateway.answer = {"code": 33, "msg": "同一手机号发送频率过快", "detail": ""}
    with pytest.raises(sms.GatewayError):
        sms.get_backend().send("13800138000", "【考试报名】您的验证码为：654321。")
    assert issubclass(sms.GatewayError, ConnectionError)  # the task's autoretry_for
    assert "654321" not in caplog.text  # the code never reaches the log


def test_an_unreachable_gateway_raises_a_retryable_error(settings):
    settings.SMS_BACKEND = "accounts.sms.YunpianBackend"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/v2/sms/single_send.json"  # nobody listens on port 9
    settings.SMS_API_KEY = "k"
    with pytest.raises(sms.GatewayError):
        sms.get_backend().send("13800138000", "【考试报名】您的验证码为：111111。")
