"""Simulated contact-center days: consistent task lifecycles, agent activity and consent.

Each function returns Segment messages (dicts) whose payloads carry Regal Voice's real quirks
(epoch seconds as integers or strings, drifting types, nested ``changes``, array ``content``).

Over 300 lines because it is a simulation: every Regal Voice event of a task's life, with the
payload shapes the Regal docs allow, in the order they happen; the marts' tests check their
figures against it.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

QUEUES = ["Sales", "Support", "Retention"]
CAMPAIGNS = [("cmp_101", 445, "Spring Refinance"), ("cmp_102", 446, "Abandoned Application")]
OPT_IN_TEXT = (
    "By clicking the 'Submit' button below, I agree to receive automated marketing SMS and calls."
)
# Experiments running in Regal: ids arrive as numbers (or their text) and as UUIDs.
EXPERIMENTS = [
    (7, "Opening line test"),
    (12, "Voicemail drop test"),
    ("b7e4c1de-2f0a-4c55-9a0e-6f1d2c3b4a59", "Callback script test"),
]
# The contacts' area codes, so their calls fall at different hours of their own day: New York
# (twice as many), Chicago, Denver, Los Angeles, Honolulu, and Alaska's 907, which spans two
# zones (phonenumbers knows no single one: an unknown zone).
AREA_CODES = ["917", "917", "312", "303", "415", "808", "907"]
# What contacts text back: mostly an answer, now and then an opt-out keyword as people type it
# (the last two are not keywords: "Stop please" is a sentence, "STOP." has punctuation).
REPLIES = ["Yes, call me tomorrow."] * 8 + [
    "STOP",
    " stop ",
    "Unsubscribe",
    "quit\n",
    "End",
    "Stop please",
    "STOP.",
]
CANCEL_REASONS = [
    ("Contact unsubscribed", "system", None),
    ("Task expired", "system", None),
    ("Canceled by agent", "agent_desktop", "supervisor@brand.example"),
]


@dataclass
class Truth:
    """What the generator knows it produced, for tests to compare the warehouse against."""

    tasks: dict[str, int] = field(
        default_factory=lambda: {"completed": 0, "canceled": 0, "open": 0}
    )
    calls_completed: int = 0
    calls_answered: int = 0
    sms_conversations_completed: int = 0
    tasks_without_created_event: int = 0
    consent_entries_without_timestamp: int = 0


@dataclass
class CallbackTruth:
    """Every call's (E.164 phone, start, direction) and every promised callback's (E.164 phone,
    instant): enough to reckon which callbacks were kept, independently of the models."""

    calls: list[tuple[str, datetime, str]] = field(default_factory=list)
    promises: list[tuple[str, datetime]] = field(default_factory=list)


@dataclass(frozen=True)
class ConsentRecord:
    """A consent change as the generator made it: what the consent marts must reproduce."""

    phone: str
    channel: str
    is_subscribed: bool
    effective_at: datetime
    changed_by: str


def iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def epoch_in_some_form(rng: random.Random, moment: datetime) -> int | str:
    """Epoch time as Regal sends it: seconds as a number, now and then as text or as
    milliseconds."""
    draw = rng.random()
    if draw < 0.15:
        return str(epoch(moment))
    if draw < 0.25:
        return epoch(moment) * 1000
    return epoch(moment)


def phone_in_some_format(rng: random.Random, digits: str) -> str:
    """The same E.164 number written the ways CRMs and agents write it."""
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return rng.choice(
        [
            f"+1{digits}",
            f"+1 ({area}) {exchange}-{line}",
            f"{area}-{exchange}-{line}",
            f"({area}) {exchange} {line}",
        ]
    )


class Simulator:
    """Produces one source's messages; ``rng`` makes every run of the same seed identical."""

    def __init__(self, rng: random.Random, agents: int, contacts: int) -> None:
        self.rng = rng
        self.agents = [f"agent{n:03d}@brand.example" for n in range(1, agents + 1)]
        self.contacts = [
            f"{AREA_CODES[n % len(AREA_CODES)]}{n:07d}" for n in range(5550000, 5550000 + contacts)
        ]
        # Draws for the details added later (replies, short abandons, new leads): a generator
        # of its own, seeded without drawing from ``rng``, so every other draw stays as it was.
        self.aux = random.Random(rng.getstate()[1][0])
        self.truth = Truth()
        self.callback_truth = CallbackTruth()
        # Callbacks are kept only before this instant (the end of the simulated days), so the
        # archive holds no day after them.
        self.until: datetime | None = None
        self.consent_records: list[ConsentRecord] = []
        self._opt_ins: dict[str, list[dict]] = {}

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def task_sid(self) -> str:
        return "WT" + f"{self.rng.getrandbits(128):032x}"

    def envelope(self, kind: str, at: datetime, user_id: str | None, **body) -> dict:
        """A Segment message as the archive stores it, with the usual extra top-level fields."""
        received = at + timedelta(milliseconds=self.rng.randint(30, 4000))
        message = {
            "messageId": self.new_id(),
            "type": kind,
            "userId": user_id,
            "anonymousId": None if user_id else self.new_id(),
            "context": {
                "library": {"name": "regal-voice", "version": "2.4.1"},
                "ip": f"10.0.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}",
            },
            "integrations": {},
            "timestamp": iso(at),
            "originalTimestamp": iso(at),
            "sentAt": iso(at + timedelta(milliseconds=20)),
            "receivedAt": iso(received),
            "channel": "server",
            "version": 2,
            "projectId": "prj_regal",
            "_metadata": {"bundled": [], "unbundled": []},
            **body,
        }
        return message

    def track(self, event: str, at: datetime, user_id: str | None, properties: dict) -> dict:
        return self.envelope("track", at, user_id, event=event, properties=properties)

    # --- Regal Voice source ---------------------------------------------------------------

    def agent_shift(self, day: datetime, agent: str) -> list[dict]:
        """Offline → Available → Break → Available → Offline; durations drift between types."""
        start = day + timedelta(hours=13, minutes=self.rng.randint(0, 30))
        steps = [("Available", True, 0), ("Break", False, 4 * 3600), ("Available", True, 900)]
        steps.append(("Offline", False, 4 * 3600 + self.rng.randint(0, 600)))
        messages, previous, previous_available, at = [], "Offline", False, start
        for name, available, after in steps:
            at = at + timedelta(seconds=after)
            seconds = after or 50400
            properties = {
                "agent_email": agent,
                "agent_activity_name": name,
                "agent_availability": available,
                "agent_previous_activity_name": previous,
                "agent_previous_availability": previous_available,
                "agent_time_in_previous_activity": str(seconds)
                if self.rng.random() < 0.5
                else seconds,
            }
            messages.append(self.track("agent.activity.updated", at, None, properties))
            previous, previous_available = name, available
        return messages

    def task(self, created: datetime, callback_to: str | None = None) -> list[dict]:
        """One task from creation to completion, cancellation, or still open.

        ``callback_to``: the digits of a contact promised a callback; the task is then the
        outbound call that keeps the promise.
        """
        rng = self.rng
        channel = "voice" if callback_to or rng.random() < 0.75 else "sms"
        task_id = self.task_sid()
        digits = callback_to or rng.choice(self.contacts)
        user_id = f"user_{digits}"
        queue = rng.choice(QUEUES)
        campaign_id, friendly_id, campaign_name = rng.choice(CAMPAIGNS)
        direction = "OUTBOUND" if callback_to else rng.choice(["OUTBOUND", "INBOUND"])
        task_type = {"voice": "Outbound Call", "sms": "SMS Conversation"}[channel]
        common = {
            "task_id": task_id,
            "channel": channel,
            "type": task_type,
            "queue": queue,
            "campaign_id": campaign_id,
            # Regal sends the friendly id as text in some events and as a number in others.
            "campaign_friendly_id": str(friendly_id) if rng.random() < 0.5 else friendly_id,
            "campaign_name": campaign_name,
            "contact_phone": phone_in_some_format(rng, digits),
        }
        if rng.random() < 0.15:  # some payloads name the contact's number `phone`
            common["phone"] = common.pop("contact_phone")
        messages = []
        if rng.random() < 0.03:
            self.truth.tasks_without_created_event += 1  # Regal's webhooks are not retried
        else:
            created_props = {
                **common,
                "created_at": str(epoch(created)) if rng.random() < 0.7 else epoch(created),
                "direction": direction,
            }
            messages.append(self.track("task.created", created, user_id, created_props))

        outcome = rng.choices(["completed", "canceled", "open"], weights=[80, 15, 5])[0]
        if callback_to:
            outcome = "completed"
        self.truth.tasks[outcome] += 1
        at = created
        reservations = rng.choices([1, 2, 3], weights=[70, 20, 10])[0]
        if outcome == "canceled":
            reservations = rng.choice([0, 1])
        agent = rng.choice(self.agents)
        for _ in range(reservations):
            at += timedelta(seconds=rng.randint(3, 90))
            agent = rng.choice(self.agents)
            # Regal spells the agent's name property both ways.
            full_name = "reserved_agent_" + ("full_name" if rng.random() < 0.7 else "fullname")
            reservation = {
                **common,
                "reserved_agent_email": agent,
                full_name: agent.split("@")[0].title(),
            }
            messages.append(self.track("task.reservation.created", at, user_id, reservation))
        if outcome == "canceled":
            delay = rng.randint(10, 600)
            if reservations == 0 and self.aux.random() < 0.5:
                delay = self.aux.randint(2, 10)  # the caller hung up at once: a short abandon
            at += timedelta(seconds=delay)
            reason, source, canceled_by = rng.choice(CANCEL_REASONS)
            cancel = {
                **common,
                "cancelation_reason": reason,
                "cancelation_source": source,
                "canceled_by": canceled_by,
            }
            messages.append(self.track("task.canceled", at, user_id, cancel))
            return messages
        if outcome == "open":
            return messages
        at += timedelta(seconds=rng.randint(2, 40))
        # The accepting agent as `agent_email`, as the catalog's `reserved_agent_email`, or
        # not at all (then only the completing call or SMS names the agent).
        named_by = rng.choices(["agent_email", "reserved_agent_email", None], weights=[75, 20, 5])
        accepted = {**common, **({named_by[0]: agent} if named_by[0] else {})}
        messages.append(self.track("task.reservation.accepted", at, user_id, accepted))
        if channel == "voice":
            messages.extend(self.call(at, agent, user_id, digits, common, direction))
        else:
            messages.extend(self.sms_conversation(at, agent, user_id, common))
        return messages

    def call(
        self,
        accepted: datetime,
        agent: str,
        user_id: str,
        digits: str,
        common: dict,
        direction: str,
    ):
        rng = self.rng
        answered = rng.random() < 0.85
        started = accepted + timedelta(seconds=rng.randint(1, 5))
        moment = datetime.fromtimestamp(epoch(started), UTC)
        self.callback_truth.calls.append((f"+1{digits}", moment, direction))
        talk = rng.randint(30, 900) if answered else 0
        wrap = rng.randint(5, 120)
        ended = started + timedelta(seconds=talk)
        completed = ended + timedelta(seconds=wrap)
        task_id = common["task_id"]
        self.truth.calls_completed += 1
        self.truth.calls_answered += int(answered)
        messages = [self.track("call.placed", started, user_id, {**common, "call_id": task_id})]
        durations: dict = {"talk_time": talk, "wrapup_time": wrap, "handle_time": talk + wrap}
        quirk = rng.random()
        if quirk < 0.05:
            durations = {key: str(value) for key, value in durations.items()}
        elif quirk < 0.08:
            durations = {}
        completed_props = {
            **{key: value for key, value in common.items() if key != "task_id"},
            "task_id": task_id,
            "call_id": task_id,
            "agent_email": agent,
            "direction": direction,
            "disposition": rng.choice(["Interested", "Not Interested", "Voicemail", "Callback"])
            if answered
            else "No Answer",
            "notes": "Discussed refinance options" if answered else "",
            "objections": rng.sample(["price", "timing", "trust"], k=rng.randint(0, 2)),
            "conversation_happened": answered,
            "started_at": epoch_in_some_form(rng, started),
            "ended_at": epoch_in_some_form(rng, ended),
            "completed_at": epoch_in_some_form(rng, completed),
            "regal_voice_phone": "+14155550100",
            "regal_voice_phone_internal_name": "Main line",
            **durations,
        }
        messages.append(self.track("call.wrapup", ended, user_id, {**common, "call_id": task_id}))
        messages.append(self.track("call.completed", completed, user_id, completed_props))
        if answered:
            link = f"https://recordings.regal.example/{task_id}.mp3"
            recording = {"call_id": task_id, "task_id": task_id, "recording_link": link}
            messages.append(
                self.track(
                    "call.recording.available",
                    completed + timedelta(seconds=30),
                    user_id,
                    recording,
                )
            )
            if rng.random() < 0.3:
                transcript = {"call_id": task_id, "transcript_link": f"{link}.txt"}
                messages.append(
                    self.track(
                        "call.transcript.available",
                        completed + timedelta(seconds=90),
                        user_id,
                        transcript,
                    )
                )
        return messages

    def sms_conversation(self, accepted: datetime, agent: str, user_id: str, common: dict):
        rng = self.rng
        task_id = common["task_id"]
        at = accepted
        rows, messages = [], []
        for _ in range(rng.randint(1, 3)):
            at += timedelta(seconds=rng.randint(5, 120))
            text = "Hi, this is your loan advisor. Is now a good time?"
            sms = {
                "sms_conversation_id": task_id,
                "agent_email": agent,
                "from_number": "+14155550100",
                "to_number": common.get("contact_phone") or common["phone"],
                "content": text,
                "campaign_id": common["campaign_id"],
            }
            queued = self.track("sms.queued", at, user_id, sms)
            sent = self.track("sms.sent", at + timedelta(seconds=1), user_id, sms)
            # sms.queued and sms.sent arrive out of order now and then.
            messages.extend([sent, queued] if rng.random() < 0.2 else [queued, sent])
            rows.append([epoch(at), "Agent", "sent", text])
            if rng.random() < 0.05:
                messages.append(
                    self.track("sms.undelivered", at + timedelta(seconds=5), user_id, sms)
                )
            at += timedelta(seconds=rng.randint(10, 300))
            reply = {**sms, "from_number": sms["to_number"], "to_number": sms["from_number"]}
            reply["content"] = self.aux.choice(REPLIES)
            messages.append(self.track("sms.received", at, user_id, reply))
            rows.append([epoch(at), "Contact", "received", reply["content"]])
            if reply["content"] != REPLIES[0]:
                messages.extend(self.opt_out_handled(at, user_id, sms["to_number"]))
                if self.aux.random() < 0.7:
                    break  # the agent stops texting; otherwise the next text breaks the STOP
        started = accepted + timedelta(seconds=2)
        completed = at + timedelta(seconds=rng.randint(10, 90))
        wrap = rng.randint(5, 60)
        ended = completed - timedelta(seconds=wrap)
        self.truth.sms_conversations_completed += 1
        completed_props = {
            **common,
            "sms_conversation_id": task_id,
            "agent_email": agent,
            "disposition": "Replied",
            "content": rows,
            "started_at": epoch(started),
            "ended_at": epoch(ended),
            "completed_at": epoch(completed),
            "talk_time": epoch(ended) - epoch(started),
            "wrapup_time": epoch(completed) - epoch(ended),
            "handle_time": epoch(completed) - epoch(started),
        }
        messages.append(
            self.track("sms.conversation.completed", completed, user_id, completed_props)
        )
        return messages

    def opt_out_handled(self, replied: datetime, user_id: str, phone: str) -> list[dict]:
        """Regal records an SMS opt-out after a STOP reply, mostly; sometimes it does not."""
        if self.aux.random() < 0.25:
            return []
        at = replied + timedelta(seconds=self.aux.randint(1, 30))
        digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
        self.consent_records.append(
            ConsentRecord(
                f"+1{digits}", "sms", False, datetime.fromtimestamp(epoch(at), UTC), "regal_voice"
            )
        )
        consent = {
            "phone": f"+1{digits}",
            "channel": "sms",
            "source": "Regal.inboundSms",
            "timestamp": str(epoch(at)),
        }
        return [self.track("contact.unsubscribed", at, user_id, consent)]

    def contact_events(self, at: datetime) -> list[dict]:
        """Consent changes inside Regal and the other contact events of the catalog."""
        rng = self.rng
        digits = rng.choice(self.contacts)
        user_id = f"user_{digits}"
        channel = rng.choice(["voice", "sms"])
        subscribed = rng.random() < 0.6
        consent = {
            "phone": f"+1{digits}",
            "channel": channel,
            "source": rng.choice(["RegalVoice.agentDesktop", "Regal.inboundSms", "Brand.api"]),
            "ip": f"172.16.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "text": OPT_IN_TEXT,
            "timestamp": str(
                epoch(at)
            ),  # epoch seconds as a string; collides with Segment's column
        }
        event = "contact.subscribed" if subscribed else "contact.unsubscribed"
        effective = datetime.fromtimestamp(epoch(at), UTC)
        self.consent_records.append(
            ConsentRecord(f"+1{digits}", channel, subscribed, effective, "regal_voice")
        )
        messages = [self.track(event, at, user_id, consent)]
        later = at + timedelta(minutes=rng.randint(1, 120))
        messages.append(self.attribute_edit(later, user_id, digits))
        experiment_id, experiment_name = rng.choice(EXPERIMENTS)
        if isinstance(experiment_id, int) and rng.random() < 0.5:
            experiment_id = str(experiment_id)  # Regal sends a number or its text
        # The catalog names the contact's number `phone` here; some payloads send `contact_phone`.
        phone_property = "phone" if rng.random() < 0.5 else "contact_phone"
        experiment = {
            phone_property: f"+1{digits}",
            "experiment_id": experiment_id,
            "experiment_name": experiment_name,
            "experiment_variant": rng.choice(["A", "B"]),
        }
        messages.append(self.track("contact.experiment.assigned", later, user_id, experiment))
        messages.extend(self.callback_promise(later, user_id, digits))
        if rng.random() < 0.2:
            failed = {"to_number": f"+1{digits}", "error_code": 30007, "content": "Reminder"}
            messages.append(self.track("sms.failed", later, user_id, failed))
        return messages

    def attribute_edit(self, at: datetime, user_id: str, digits: str) -> dict:
        """An agent's edit of a contact: nested custom properties, numbers, top-level names, and
        attributes that had no value before (old_value null)."""
        rng = self.rng
        changes: dict = {}
        kind = rng.choice(["text", "number", "first_name", "both"])
        if kind in ("text", "both"):
            income = {"old_value": "150,000", "new_value": "300,000"}
            changes["custom_properties"] = {"annual_income": income}
        if kind == "number":
            old = rng.choice([None, 120000, 95000.5])
            changes["custom_properties"] = {
                "annual_income": {"old_value": old, "new_value": rng.randint(100, 400) * 1000}
            }
        if kind in ("first_name", "both"):
            new_name = rng.choice(["Anne", "Raj", "Maria", "Tom"])
            changes["first_name"] = {"old_value": None, "new_value": new_name}
        edited = {
            "contact_phone": f"+1{digits}",
            "agent_email": rng.choice(self.agents),
            "changes": changes,
        }
        if rng.random() < 0.5:  # when Regal made the change: epoch seconds as a string
            edited["created_at"] = str(epoch(at) - rng.randint(1, 30))
        return self.track("contact.attribute.edited", at, user_id, edited)

    def callback_promise(self, at: datetime, user_id: str, digits: str) -> list[dict]:
        """A callback promised for about a day later, in the contact's local time with its
        offset; about half are kept by an outbound call near that time (some late)."""
        rng = self.rng
        callback_at = at + timedelta(days=1)
        agent = rng.choice(self.agents)
        callback = {
            "contact_phone": f"+1{digits}",
            "callback_timestamp": (callback_at - timedelta(hours=7)).strftime("%Y-%m-%d %H:%M:%S")
            + " -07:00",
            "scheduling_agent_fullname": agent.split("@")[0].title(),
            "scheduling_agent_id": agent,
            "target_agent_id": agent,
            "target_agent_fullname": agent.split("@")[0].title(),
        }
        if rng.random() < 0.7:  # else the agent is named by `scheduling_agent_id` alone
            callback["scheduling_agent_email"] = agent
        promised = datetime.fromtimestamp(epoch(callback_at), UTC)
        self.callback_truth.promises.append((f"+1{digits}", promised))
        messages = [self.track("scheduled.callback.requested", at, user_id, callback)]
        kept_at = callback_at + timedelta(seconds=rng.randint(-4 * 60, 40 * 60))
        if rng.random() < 0.5 and (self.until is None or kept_at + timedelta(hours=1) < self.until):
            messages.extend(self.task(kept_at, callback_to=digits))
        return messages

    # --- the brand's own source -------------------------------------------------------------

    def brand_identify(self, at: datetime) -> dict:
        """An identify with cached ``optIn`` entries re-sent, some stale, some without timestamp."""
        rng = self.rng
        digits = rng.choice(self.contacts)
        if self.aux.random() < 0.15:
            # A new lead the contact centre never reaches: a number of its own.
            digits = f"{self.aux.choice(AREA_CODES)}{self.aux.randint(2_000_000, 2_999_999)}"
        user_id = f"user_{digits}"
        cached = self._opt_ins.setdefault(user_id, [])
        if not cached or rng.random() < 0.4:
            entry = {
                "channel": rng.choice(["sms", "voice", "email"]),
                "subscribed": rng.random() < 0.8,
                "ip": "172.16.254.1",
                "text": OPT_IN_TEXT,
            }
            if rng.random() < 0.1:
                self.truth.consent_entries_without_timestamp += 1
            else:
                effective = at - timedelta(seconds=rng.randint(0, 60))
                entry["timestamp"] = iso(effective)
                self.consent_records.append(
                    ConsentRecord(
                        f"+1{digits}", entry["channel"], entry["subscribed"], effective, "identify"
                    )
                )
            cached.append(entry)
        traits = {
            "phone": phone_in_some_format(rng, digits),
            "email": f"{user_id}@mail.example",
            "firstName": rng.choice(["Anne", "Raj", "Maria", "Tom"]),
            "lastName": rng.choice(["Smith", "Patel", "Garcia", "Lee"]),
            "age": rng.randint(21, 70),
            "optIn": list(cached),  # traits are cached: every earlier entry is sent again
        }
        return self.envelope("identify", at, user_id, traits=traits)

    def brand_activity(self, at: datetime) -> list[dict]:
        rng = self.rng
        digits = rng.choice(self.contacts)
        user_id = f"user_{digits}"
        page = {
            "path": "/apply",
            "url": "https://brand.example/apply",
            "title": "Apply",
            "referrer": "",
        }
        messages = [self.envelope("page", at, user_id, name="Apply", properties=page)]
        if rng.random() < 0.5:
            approved = {"loanType": "Personal loan", "amount": 30000, "currency": "USD", "term": 12}
            messages.append(self.track("Loan Application Approved", at, user_id, approved))
        if rng.random() < 0.2:
            signed = {"loanType": "Personal loan", "amount": 30000.0, "signedVia": "DocuSign"}
            messages.append(self.track("Loan Signed", at + timedelta(hours=2), user_id, signed))
        if rng.random() < 0.3:
            screen = {"appVersion": "5.2.0", "screenClass": "HomeViewController"}
            messages.append(self.envelope("screen", at, user_id, name="Home", properties=screen))
        if rng.random() < 0.05:
            messages.append(
                self.envelope("group", at, user_id, groupId="grp_household_1", traits={"size": 3})
            )
        if rng.random() < 0.05:
            messages.append(self.envelope("alias", at, user_id, previousId=self.new_id()))
        return messages
