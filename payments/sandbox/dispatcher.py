"""Delivers queued 差分通知 to each merchant's registered URL, as PAYGENT does.

A notice counts as delivered only when the reply body is exactly ``result=0``; otherwise it
is re-sent after ``notice_retry_seconds``, and after five straight failures the merchant's
queue pauses for ``notice_pause_seconds``. Notices of one merchant go out in order.
Several processes may run a dispatcher on one store: each notice is claimed before it is sent.
"""
import json
import logging
import threading
import time

import requests

from payments.paygent.codec import encode_form

from . import methods

log = logging.getLogger("payments.sandbox.notices")
ACCEPTED = b"result=0"
CLAIM_SECONDS = 30.0
STRAIGHT_FAILURES_BEFORE_PAUSE = 5


class Dispatcher:
    def __init__(self, store, poll_seconds: float = 0.5, send_timeout: float = 10.0):
        self.store = store
        self.poll_seconds = poll_seconds
        self.send_timeout = send_timeout
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = None
        self._starting = threading.Lock()
        self.session = requests.Session()
        store.on_notice = self.wake.set

    def start(self) -> None:
        with self._starting:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="sandbox-notices",
                                               daemon=True)
                self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread:
            self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.settle_due()
                while self.deliver_one():
                    pass
            except Exception:  # the loop must outlive a bad row or a locked database
                log.exception("notice dispatcher")
            self.wake.wait(self.poll_seconds)
            self.wake.clear()

    def settle_due(self) -> None:
        """Let timed-out requests settle (by their method's rules) so their final notice goes
        out unasked."""
        now = self.store.now()
        rows = self.store.db.execute(
            "SELECT payment_id FROM payments WHERE pending_target != '' AND pending_until <= ?",
            (now,)).fetchall()
        for row in rows:
            with self.store.write() as db:
                payment = db.execute("SELECT * FROM payments WHERE payment_id=?",
                                     (row["payment_id"],)).fetchone()
                methods.settle(self.store, db, payment, now)

    def deliver_one(self) -> bool:
        """Send the oldest due notice of some merchant. False when nothing is due."""
        notice = self._claim()
        if notice is None:
            return False
        fields = json.loads(notice["fields"])
        url = notice["notice_url"]
        try:
            reply = self.session.post(
                url, data=encode_form(fields), timeout=self.send_timeout,
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=Shift_JIS"})
            body = reply.content.rstrip(b"\r\n")
            accepted = reply.status_code == 200 and body == ACCEPTED
            answer = f"HTTP {reply.status_code} {body[:60]!r}"
        except requests.RequestException as exc:
            accepted, answer = False, type(exc).__name__
        self._book(notice, accepted, answer)
        return True

    def _claim(self):
        now = time.time()
        with self.store.write() as db:
            # the oldest open notice of each merchant with a URL (one index seek per
            # merchant), so the write lock is held for microseconds however many wait
            row = db.execute(
                "SELECT n.*, m.notice_url FROM merchants m JOIN notices n ON "
                "n.id = (SELECT MIN(o.id) FROM notices o "
                "  WHERE o.merchant_id = m.merchant_id AND o.acknowledged = 0) "
                "WHERE m.notice_url != '' AND n.claimed_until < ? AND n.next_attempt_at <= ? "
                "ORDER BY n.id LIMIT 1", (now, now)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE notices SET claimed_until=? WHERE id=?",
                       (now + CLAIM_SECONDS, row["id"]))
            return row

    def _book(self, notice, accepted: bool, answer: str) -> None:
        attempts = notice["attempts"] + 1
        if accepted:
            delay = 0.0
        elif attempts % STRAIGHT_FAILURES_BEFORE_PAUSE == 0:
            delay = float(self.store.setting("notice_pause_seconds"))
        else:
            delay = float(self.store.setting("notice_retry_seconds"))
        with self.store.write() as db:
            db.execute("UPDATE notices SET acknowledged=?, attempts=?, next_attempt_at=?, "
                       "claimed_until=0, last_reply=? WHERE id=?",
                       (int(accepted), attempts, time.time() + delay, answer, notice["id"]))
        log.info("notice %s to merchant %s: %s", notice["payment_notice_id"],
                 notice["merchant_id"], "accepted" if accepted else answer)
