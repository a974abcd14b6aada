#!/usr/bin/env python3
"""An independent reader of TensorBoard event files, for the tests of ai.igspark.metrics.tensorboard.

    read_tfevents.py DIR   ->  JSON on stdout: every event of every events.out.tfevents.* file

Independent of the Java writer: the TFRecord framing is parsed and both masked CRC32Cs of every
record are checked with the table-driven Castagnoli CRC below; the events are parsed by Debian's
python3-protobuf from a descriptor built at run time (the fields of TensorFlow's event.proto and
summary.proto that TensorBoard's scalars and images use) and must re-serialise to the very bytes
read (canonical encoding, no unknown fields); PNGs are decoded with zlib from the standard library
(chunk CRCs checked, all five row filters) and must agree with the Image message's height, width
and colorspace.

Output: {"files": [{"name", "truncated_tail_bytes", "events": [...]}]}, files in name order (the
order TensorBoard reads them). An event: {"wall_time", "step", "what"} plus "file_version",
"session_log" ("START", ...) or "values": [{"tag", "simple_value_bits"} | {"tag", "image":
{"height", "width", "colorspace", "pixels_hex"}}]. simple_value_bits is the float32's bit pattern
(exact, NaN-safe); pixels_hex the decoded pixels, row-major HWC.

Any defect (bad CRC, bad message, bad PNG) exits 2 with a message naming file, record and offset.
"""
import json
import os
import struct
import sys
import zlib

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

# --- masked CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as TensorFlow frames records

_CRC32C_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC32C_TABLE.append(_c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


# The CRC-32C check value (RFC 3720 B.4 lists it for "123456789").
assert crc32c(b"123456789") == 0xE3069283, "crc32c implementation is wrong"


class Defect(Exception):
    pass


# --- the event messages, defined at run time

def _event_classes():
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(
        name="igspark_tfevents_subset.proto", package="igspark_tfevents_subset", syntax="proto3")

    def message(name, fields, oneofs=()):
        m = fdp.message_type.add(name=name)
        for o in oneofs:
            m.oneof_decl.add(name=o)
        for fname, number, ftype, extra in fields:
            f = m.field.add(name=fname, number=number, type=ftype,
                            label=extra.pop("label", F.LABEL_OPTIONAL))
            for k, v in extra.items():
                setattr(f, k, v)
        return m

    pkg = ".igspark_tfevents_subset."
    message("Image", [
        ("height", 1, F.TYPE_INT32, {}),
        ("width", 2, F.TYPE_INT32, {}),
        ("colorspace", 3, F.TYPE_INT32, {}),
        ("encoded_image_string", 4, F.TYPE_BYTES, {}),
    ])
    message("Value", [
        ("tag", 1, F.TYPE_STRING, {}),
        ("simple_value", 2, F.TYPE_FLOAT, {"oneof_index": 0}),
        ("image", 4, F.TYPE_MESSAGE, {"type_name": pkg + "Image", "oneof_index": 0}),
    ], oneofs=["value"])
    message("Summary", [
        ("value", 1, F.TYPE_MESSAGE, {"type_name": pkg + "Value", "label": F.LABEL_REPEATED}),
    ])
    session_log = message("SessionLog", [
        ("status", 1, F.TYPE_ENUM, {"type_name": pkg + "SessionLog.SessionStatus"}),
    ])
    status = session_log.enum_type.add(name="SessionStatus")
    for n, v in (("STATUS_UNSPECIFIED", 0), ("START", 1), ("STOP", 2), ("CHECKPOINT", 3)):
        status.value.add(name=n, number=v)
    message("Event", [
        ("wall_time", 1, F.TYPE_DOUBLE, {}),
        ("step", 2, F.TYPE_INT64, {}),
        ("file_version", 3, F.TYPE_STRING, {"oneof_index": 0}),
        ("summary", 5, F.TYPE_MESSAGE, {"type_name": pkg + "Summary", "oneof_index": 0}),
        ("session_log", 7, F.TYPE_MESSAGE, {"type_name": pkg + "SessionLog", "oneof_index": 0}),
    ], oneofs=["what"])

    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    desc = pool.FindMessageTypeByName("igspark_tfevents_subset.Event")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


Event = _event_classes()


def _unknown_fields(msg):
    """Number of unknown fields in msg and its sub-messages (fields this subset does not define)."""
    try:
        n = len(msg.UnknownFields())
    except (AttributeError, NotImplementedError):  # newer protobuf: the separate module
        from google.protobuf import unknown_fields
        n = len(unknown_fields.UnknownFieldSet(msg))
    for field, value in msg.ListFields():
        if field.type == field.TYPE_MESSAGE:
            items = value if field.label == field.LABEL_REPEATED else [value]
            n += sum(_unknown_fields(v) for v in items)
    return n


# --- PNG (8-bit gray or RGB, not interlaced), standard library only

def decode_png(data):
    """(height, width, channels, pixels as bytes, row-major HWC)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Defect("not a PNG (signature %r)" % data[:8])
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        if pos + 12 > len(data):
            raise Defect("PNG chunk cut short at byte %d" % pos)
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise Defect("PNG chunk %r: bad CRC" % ctype)
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        raise Defect("PNG without IHDR")
    width, height, depth, color, _compression, _filter, interlace = ihdr
    channels = {0: 1, 2: 3}.get(color)
    if depth != 8 or channels is None or interlace != 0:
        raise Defect("PNG is not 8-bit gray/RGB non-interlaced (depth %d, colour type %d, "
                     "interlace %d)" % (depth, color, interlace))
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise Defect("PNG data has %d bytes, expected %d" % (len(raw), height * (stride + 1)))
    out = bytearray()
    prev = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 0:
                pred = 0
            elif ftype == 1:
                pred = a
            elif ftype == 2:
                pred = b
            elif ftype == 3:
                pred = (a + b) // 2
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            else:
                raise Defect("PNG row %d: unknown filter %d" % (y, ftype))
            line[i] = (line[i] + pred) & 0xFF
        out += line
        prev = line
    return height, width, channels, bytes(out)


# --- TFRecord framing and events

def read_records(data):
    """[(offset, payload)], truncated tail length. Raises Defect on a CRC mismatch."""
    records, pos = [], 0
    while pos < len(data):
        if pos + 12 > len(data):
            break
        header = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if masked_crc32c(header) != length_crc:
            raise Defect("record %d at byte %d: length CRC %08x, expected %08x"
                         % (len(records), pos, length_crc, masked_crc32c(header)))
        end = pos + 12 + length + 4
        if end > len(data):
            break
        payload = data[pos + 12:pos + 12 + length]
        (data_crc,) = struct.unpack("<I", data[end - 4:end])
        if masked_crc32c(payload) != data_crc:
            raise Defect("record %d at byte %d: data CRC %08x, expected %08x"
                         % (len(records), pos, data_crc, masked_crc32c(payload)))
        records.append((pos, payload))
        pos = end
    return records, len(data) - pos


def event_json(payload):
    ev = Event()
    ev.ParseFromString(payload)
    if _unknown_fields(ev):
        raise Defect("fields outside Event/Summary/Value/Image/SessionLog")
    if ev.SerializeToString(deterministic=True) != payload:
        raise Defect("not protobuf's canonical encoding of the message read")
    what = ev.WhichOneof("what")
    out = {"wall_time": ev.wall_time, "step": ev.step, "what": what}
    if what == "file_version":
        out["file_version"] = ev.file_version
    elif what == "session_log":
        out["session_log"] = ev.session_log.DESCRIPTOR.enum_types_by_name[
            "SessionStatus"].values_by_number[ev.session_log.status].name
    elif what == "summary":
        values = []
        for v in ev.summary.value:
            kind = v.WhichOneof("value")
            if kind == "simple_value":
                bits = struct.unpack("<I", struct.pack("<f", v.simple_value))[0]
                values.append({"tag": v.tag, "simple_value_bits": bits})
            elif kind == "image":
                img = v.image
                h, w, c, pixels = decode_png(img.encoded_image_string)
                if (h, w, c) != (img.height, img.width, img.colorspace):
                    raise Defect("image %s: PNG is %dx%dx%d, the message says %dx%dx%d"
                                 % (v.tag, h, w, c, img.height, img.width, img.colorspace))
                values.append({"tag": v.tag, "image": {
                    "height": h, "width": w, "colorspace": c, "pixels_hex": pixels.hex()}})
            else:
                raise Defect("value %s has neither simple_value nor image" % v.tag)
        out["values"] = values
    else:
        raise Defect("event without file_version, summary or session_log")
    return out


def read_dir(directory):
    files = []
    for name in sorted(os.listdir(directory)):
        if "tfevents" not in name:
            continue
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        try:
            records, tail = read_records(data)
        except Defect as e:
            raise Defect("%s: %s" % (name, e)) from None
        events = []
        for i, (offset, payload) in enumerate(records):
            try:
                events.append(event_json(payload))
            except Defect as e:
                raise Defect("%s: record %d at byte %d: %s" % (name, i, offset, e)) from None
            except Exception as e:  # protobuf's DecodeError and the like
                raise Defect("%s: record %d at byte %d: %r" % (name, i, offset, e)) from None
        files.append({"name": name, "truncated_tail_bytes": tail, "events": events})
    return {"files": files}


def main(argv):
    if len(argv) != 2:
        print("usage: read_tfevents.py DIR", file=sys.stderr)
        return 64
    try:
        result = read_dir(argv[1])
    except Defect as e:
        print("read_tfevents: %s" % e, file=sys.stderr)
        return 2
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
