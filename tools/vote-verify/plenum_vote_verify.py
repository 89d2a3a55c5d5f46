#!/usr/bin/env python3
"""Independent verifier of Plenum vote protocols and receipts.

Written from docs/vote-protocol.md and docs/audit-format.md, not from the Rust code:
if both verifiers agree, the format is specified, not merely implemented.

    python3 plenum_vote_verify.py PROTOCOL.json [--receipt RECEIPT.json]...

Exit codes: 0 verified, 1 verification failed (the message names the problem),
2 unreadable input. Needs Python 3.11 and the `cryptography` package (Ed25519 only).
"""

import argparse
import base64
import hashlib
import json
import struct
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError as error:  # pragma: no cover - depends on the installation
    print(f"vote verify: cannot import the Ed25519 package: {error}", file=sys.stderr)
    sys.exit(2)

MAX_INPUT_BYTES = 256 << 20


class Failed(Exception):
    """Verification failed; the message names the problem."""


class Unreadable(Exception):
    """The input is not a protocol or receipt at all."""


# --- audit-format.md: leaf encoding v1, RFC 6962 ---------------------------------------

ACTOR_KINDS = {"user": 1, "guest": 2, "system": 3, "service": 4}
OUTCOMES = {"success": 1, "failure": 2, "denied": 3}


def text(value):
    data = value.encode("utf-8")
    if len(data) > 65536:
        raise Failed("text field longer than 64 KiB")
    return struct.pack(">I", len(data)) + data


def value_bytes(value):
    if value is None:
        return b"\x00"
    if "text" in value:
        return b"\x01" + text(value["text"])
    return b"\x02" + bytes.fromhex(value["personal"]["hash"])


def leaf_bytes(entry):
    out = bytearray(b"\x01")
    out += struct.pack(">QQ", entry["seq"], entry["time_ms"])
    out += text(entry["tenant"])
    out.append(ACTOR_KINDS[entry["actor"]["kind"]])
    out += value_bytes(entry["actor"]["id"])
    out += value_bytes(entry["source"])
    out += text(entry["action"]) + text(entry["resource"])
    out.append(OUTCOMES[entry["outcome"]])
    request_id = entry["request_id"]
    out += b"\x00" if request_id is None else b"\x01" + text(request_id)
    out += struct.pack(">I", len(entry["details"]))
    for detail in entry["details"]:
        out += text(detail["key"]) + value_bytes(detail["value"])
    return bytes(out)


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + leaf_bytes(entry)).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def included(leaf, index, size, proof, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def proven_ok(item, size, root):
    """(leaf hash, None) or (None, problem) for an entry with its proof."""
    entry = item["entry"]["entry"]
    computed = leaf_hash(entry)
    if computed.hex() != item["entry"]["leaf_hash"]:
        return None, "leaf hash mismatch (entry changed)"
    proof = [bytes.fromhex(h) for h in item["proof"]]
    if not included(computed, entry["seq"], size, proof, root):
        return None, "not included in the checkpoint (inclusion proof fails)"
    return computed, None


# --- signed notes and keys ---------------------------------------------------------------

def key_id(key):
    data = key["name"].encode() + b"\n\x01" + bytes.fromhex(key["public_key"])
    return hashlib.sha256(data).digest()[:4]


def split_note(note):
    """(body, [(name, key id || signature)]) of a C2SP signed note, or None."""
    body, sep, rest = note.partition("\n\n")
    if not sep or not rest.endswith("\n"):
        return None
    signatures = []
    for line in rest[:-1].split("\n"):
        if not line.startswith("\u2014 ") or line.count(" ") != 2:
            return None
        _, name, sig = line.split(" ")
        try:
            signatures.append((name, base64.b64decode(sig, validate=True)))
        except ValueError:
            return None
    return body + "\n", signatures


def signed_by(body, signatures, keys):
    """The first key with a valid signature; a bad signature claiming a key fails."""
    signer = None
    for name, sig in signatures:
        for key in keys:
            if key["name"] == name and sig[:4] == key_id(key):
                public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key"]))
                try:
                    public.verify(sig[4:], body.encode())
                except InvalidSignature:
                    raise Failed(f"signature by {name} does not verify") from None
                signer = signer or key
    return signer


def parse_checkpoint(note, what="checkpoint"):
    parts = split_note(note)
    if parts is None:
        raise Failed(f"{what}: malformed signed note")
    body, signatures = parts
    lines = body[:-1].split("\n")
    times = [l[5:] for l in lines[3:] if l.startswith("time ")]
    if len(lines) < 4 or len(times) != 1:
        raise Failed(f"{what}: malformed checkpoint body")
    return {"origin": lines[0], "size": int(lines[1]), "root": base64.b64decode(lines[2]),
            "time": int(times[0]), "body": body, "signatures": signatures}


def valid_at(key, time):
    if not key["not_before_ms"] <= time <= key["not_after_ms"]:
        raise Failed(f"checkpoint: key {key['name']} signed at {time}, outside its validity")


# --- vote entries (vote-protocol.md, "Audit entries") ------------------------------------

def details(entry):
    """The details as (key, text) pairs; vote entries have only plain-text details."""
    out = []
    for d in entry["details"]:
        if "text" not in d["value"]:
            raise Failed(f"event seq {entry['seq']}: detail {d['key']} is not plain text")
        out.append((d["key"], d["value"]["text"]))
    return out


def read_event(entry):
    seq, pairs = entry["seq"], details(entry)
    fields = {}
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    if not pairs or pairs[0][0] != "vote_id":
        raise Failed(f"event seq {seq}: not a well-formed vote event")
    return entry["action"], fields


def one(fields, key, seq):
    values = fields.get(key, [])
    if len(values) != 1:
        raise Failed(f"event seq {seq}: not a well-formed vote event (detail {key})")
    return values[0]


def check_vote(events, size, root):
    leaves = []
    for item in events:
        seq = item["entry"]["entry"]["seq"]
        leaf, problem = proven_ok(item, size, root)
        if problem:
            raise Failed(f"event seq {seq}: {problem}")
        if leaves and leaves[-1][0] >= seq:
            raise Failed(f"event seq {seq}: events must be in increasing seq order")
        leaves.append((seq, leaf))
    if len(events) < 2:
        raise Failed("the protocol must have an open and a closing event")
    first, last = events[0]["entry"]["entry"], events[-1]["entry"]["entry"]
    action, fields = read_event(first)
    if action != "vote.open":
        raise Failed(f"event seq {first['seq']}: the first event must be vote.open")
    end_action, end = read_event(last)
    if end_action not in ("vote.close", "vote.cancel"):
        raise Failed(f"event seq {last['seq']}: the last event must be vote.close or vote.cancel")
    options = [o.split(" ", 1) for o in fields.get("option", [])]
    eligible = [line.split(" ", 1) for line in one(fields, "eligible", first["seq"]).split("\n")]
    deadline = fields.get("deadline_ms")
    vote = {
        "id": one(fields, "vote_id", first["seq"]), "tenant": first["tenant"],
        "meeting": first["resource"].removeprefix("meeting:"),
        "subject": one(fields, "subject", first["seq"]), "mode": one(fields, "mode", first["seq"]),
        "options": [{"id": i, "label": l} for i, l in options],
        "eligible": [{"id": i, "name": n} for i, n in eligible],
        "deadline_ms": int(deadline[0]) if deadline else None,
        "opened_ms": first["time_ms"], "ended_ms": last["time_ms"],
        "outcome": "closed" if end_action == "vote.close" else "cancelled",
        "reason": one(end, "reason", last["seq"]),
    }
    counts = {o["id"]: 0 for o in vote["options"]}
    names = {v["id"]: v["name"] for v in vote["eligible"]}
    voted = set()
    for item in events:
        entry = item["entry"]["entry"]
        seq = entry["seq"]
        action, f = read_event(entry)
        if one(f, "vote_id", seq) != vote["id"]:
            raise Failed(f"event seq {seq}: belongs to another vote")
        if entry["tenant"] != vote["tenant"] or entry["resource"] != first["resource"]:
            raise Failed(f"event seq {seq}: tenant or meeting differs from the vote.open entry")
        if entry is first or entry is last:
            continue
        if action != "vote.ballot":
            raise Failed(f"event seq {seq}: only ballots may lie between open and close")
        option = one(f, "option", seq)
        if option not in counts:
            raise Failed(f"ballot seq {seq}: no option `{option}` in this vote")
        if vote["mode"] == "roll_call" and "voter" in f:
            voter = one(f, "voter", seq)
            if names.get(voter) != one(f, "name", seq):
                raise Failed(f"ballot seq {seq}: voter {voter} is not eligible")
            actor = entry["actor"]
            clear = actor["id"].get("text", actor["id"].get("personal", {}).get("value", voter))
            if actor["kind"] not in ("user", "guest") or clear != voter:
                raise Failed(f"ballot seq {seq}: roll-call ballot whose actor is not its voter")
            who = f"voter {voter}"
        elif vote["mode"] == "pseudonymous" and "token" in f:
            linkable = (entry["actor"] != {"kind": "system", "id": {"text": "plenum"}}
                        or entry["source"] is not None or entry["request_id"] is not None)
            if linkable:
                raise Failed(f"ballot seq {seq}: pseudonymous ballot names its voter")
            who = f"token {one(f, 'token', seq)}"
        else:
            raise Failed(f"ballot seq {seq}: a ballot of another mode than the vote's")
        if who in voted:
            raise Failed(f"ballot seq {seq}: {who} already voted")
        voted.add(who)
        if len(voted) > len(eligible):
            raise Failed(f"{len(voted)} tokens voted but only {len(eligible)} voters are eligible")
        counts[option] += 1
    tally = {"options": [{"option": o, "count": c} for o, c in counts.items()],
             "ballots": len(voted), "eligible": len(eligible)}
    if end_action == "vote.close":
        stated = [t.split(" ") for t in end.get("tally", [])]
        if [o for o, _ in stated] != list(counts):
            raise Failed(f"event seq {last['seq']}: the close entry's tally does not list the options")
        for option, count in stated:
            if int(count) != counts[option]:
                raise Failed(f"tally for option `{option}`: close entry says {count}, "
                             f"ballots give {counts[option]}")
        for field in ("ballots", "eligible"):
            if int(one(end, field, last["seq"])) != tally[field]:
                raise Failed(f"close entry: {field} is {one(end, field, last['seq'])}, "
                             f"the ballots give {tally[field]}")
    return vote, tally, leaves


def statement_text(vote, tally, checkpoint, leaves):
    lines = ["plenum-vote-result v1", f"vote {vote['id']}", f"tenant {vote['tenant']}",
             f"meeting {vote['meeting']}", f"subject {vote['subject']}", f"mode {vote['mode']}",
             f"outcome {vote['outcome']}"]
    lines += [f"option {o['id']} {o['label']}" for o in vote["options"]]
    lines += [f"tally {t['option']} {t['count']}" for t in tally["options"]]
    lines += [f"ballots {tally['ballots']}", f"eligible {tally['eligible']}",
              f"checkpoint {checkpoint['origin']}", f"checkpoint-size {checkpoint['size']}",
              f"checkpoint-root {checkpoint['root'].hex()}"]
    lines += [f"event {seq} {leaf.hex()}" for seq, leaf in leaves]
    return "\n".join(lines) + "\n"


# --- the protocol --------------------------------------------------------------------------

def verify(doc, receipts):
    if doc.get("format") != "plenum-vote-protocol" or doc.get("version") != 1:
        raise Failed("unsupported protocol format or version")
    checkpoint = parse_checkpoint(doc["checkpoint"])
    keys = []
    for proven in doc["keys"]:
        key, entry = proven["key"], proven["recorded"]["entry"]["entry"]
        recorded = dict(details(entry))
        listed = {"key_name": key["name"], "public_key": key["public_key"],
                  "not_before_ms": str(key["not_before_ms"]), "not_after_ms": str(key["not_after_ms"])}
        if entry["action"] != "audit.key_valid" or recorded != listed:
            raise Failed(f"key {key['name']}: its audit.key_valid entry does not record this key")
        keys.append(key)
    try:
        signer = signed_by(checkpoint["body"], checkpoint["signatures"], keys)
    except Failed as error:
        raise Failed(f"checkpoint: {error}") from None
    if signer is None:
        raise Failed("checkpoint: no signature by a known key")
    valid_at(signer, checkpoint["time"])
    for proven in doc["keys"]:
        if proven_ok(proven["recorded"], checkpoint["size"], checkpoint["root"])[1]:
            raise Failed(f"key {proven['key']['name']}: its audit.key_valid entry is not "
                         "included in the checkpoint")

    vote, tally, leaves = check_vote(doc["events"], checkpoint["size"], checkpoint["root"])
    for field, value in vote.items():
        if doc["vote"].get(field) != value:
            raise Failed(f"vote summary: {field} differs from the vote's entries")
    for index, line in enumerate(tally["options"]):
        stated = doc["tally"]["options"][index] if index < len(doc["tally"]["options"]) else {}
        if stated != line:
            raise Failed(f"tally for option `{line['option']}`: the document says "
                         f"{stated.get('count')}, ballots give {line['count']}")
    for field in ("ballots", "eligible"):
        if doc["tally"][field] != tally[field]:
            raise Failed(f"tally: the document's {field} is {doc['tally'][field]}, "
                         f"the entries give {tally[field]}")
    if len(doc["tally"]["options"]) != len(tally["options"]):
        raise Failed("tally: the document lists other options than the vote")

    parts = split_note(doc["statement"])
    if parts is None:
        raise Failed("result statement is not a signed note")
    body, signatures = parts
    expected = statement_text(vote, tally, checkpoint, leaves)
    if body != expected:
        found = body.split("\n")
        for number, want in enumerate(expected.split("\n"), 1):
            got = found[number - 1] if number <= len(found) else ""
            if got != want:
                raise Failed(f"result statement line {number}: expected {want!r}, found {got!r}")
        raise Failed("result statement has extra lines")
    try:
        statement_signer = signed_by(body, signatures, keys)
    except Failed:
        raise Failed("result signature invalid") from None
    if statement_signer is None:
        raise Failed("result statement has no signature by a proven key")
    valid_at(statement_signer, checkpoint["time"])

    ballots = {seq: leaf for (seq, leaf), item in zip(leaves, doc["events"])
               if item["entry"]["entry"]["action"] == "vote.ballot"}
    for receipt in receipts:
        seq = check_receipt(receipt, keys)
        if receipt["vote_id"] != vote["id"]:
            raise Failed(f"receipt seq {seq}: belongs to vote {receipt['vote_id']}")
        if ballots.get(seq, b"").hex() != receipt["ballot"]["entry"]["leaf_hash"]:
            raise Failed(f"receipt seq {seq}: not in this vote's ballots")
    return vote, tally, checkpoint, signer


def check_receipt(receipt, keys):
    if receipt.get("format") != "plenum-vote-receipt" or receipt.get("version") != 1:
        raise Failed("receipt: unsupported format or version")
    seq = receipt["ballot"]["entry"]["entry"]["seq"]
    if leaf_hash(receipt["ballot"]["entry"]["entry"]).hex() != receipt["ballot"]["entry"]["leaf_hash"]:
        raise Failed(f"receipt seq {seq}: leaf hash mismatch (entry changed)")
    if receipt["key"] not in keys:
        raise Failed(f"receipt seq {seq}: signed by a key the protocol does not prove")
    checkpoint = parse_checkpoint(receipt["checkpoint"], f"receipt seq {seq}: checkpoint")
    try:
        if signed_by(checkpoint["body"], checkpoint["signatures"], [receipt["key"]]) is None:
            raise Failed("no signature by the receipt's key")
    except Failed as error:
        raise Failed(f"receipt seq {seq}: checkpoint: {error}") from None
    if proven_ok(receipt["ballot"], checkpoint["size"], checkpoint["root"])[1]:
        raise Failed(f"receipt seq {seq}: not included in its checkpoint (inclusion proof fails)")
    return seq


def load(path):
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_INPUT_BYTES + 1)
        if len(data) > MAX_INPUT_BYTES:
            raise Unreadable(f"{path}: larger than {MAX_INPUT_BYTES} bytes")
        return json.loads(data)
    except (OSError, ValueError) as error:
        raise Unreadable(f"{path}: {error}") from None


def main():
    parser = argparse.ArgumentParser(description="Verify a Plenum vote protocol offline.")
    parser.add_argument("protocol")
    parser.add_argument("--receipt", action="append", default=[])
    args = parser.parse_args()
    try:
        doc = load(args.protocol)
        receipts = [load(path) for path in args.receipt]
        vote, tally, checkpoint, signer = verify(doc, receipts)
    except Unreadable as error:
        print(f"vote verify: cannot read input: {error}", file=sys.stderr)
        return 2
    except Failed as error:
        print(f"vote verify: FAILED: {error}", file=sys.stderr)
        return 1
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        # A document of the wrong shape: a field missing, of the wrong type or not hex.
        print(f"vote verify: FAILED: malformed document ({type(error).__name__}: {error})",
              file=sys.stderr)
        return 1
    print(f"vote {vote['id']}: {vote['subject']}")
    print(f"mode {vote['mode']}, {vote['outcome']}")
    for line in tally["options"]:
        print(f"  {line['option']}: {line['count']}")
    print(f"ballots {tally['ballots']} of {tally['eligible']} eligible")
    print(f"checkpoint {checkpoint['origin']} size {checkpoint['size']} "
          f"root {checkpoint['root'].hex()} signed by {signer['name']}")
    print(f"receipts verified: {len(receipts)}\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
