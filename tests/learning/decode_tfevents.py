#!/usr/bin/env python3
"""decode_tfevents.py — an independent check of fedc's TensorBoard event files (not run by CI).

Decodes an events.out.tfevents.* file with nothing but the Python standard library: its own
CRC-32C, TFRecord framing and protobuf wire-format reader, so it shares no code with fedc's C
reader. Prints one line per event and exits non-zero on the first damaged record.

Where python3-protobuf and tensorboard are installed, the same file can also be read with
tensorboard's EventAccumulator; this script is for machines without them.

usage: python3 tests/learning/decode_tfevents.py FILE
"""
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, pos):
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def fields(buf):
    """Yields (field number, wire type, value) of a protobuf message."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield number, wire, value


def decode_event(data):
    event = {"values": {}}
    for number, wire, value in fields(data):
        if number == 1 and wire == 1:
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif number == 2 and wire == 0:
            event["step"] = value
        elif number == 3 and wire == 2:
            event["file_version"] = value.decode()
        elif number == 5 and wire == 2:
            for vnum, vwire, v in fields(value):
                if vnum != 1 or vwire != 2:
                    continue
                tag = simple = None
                for n, w, x in fields(v):
                    if n == 1 and w == 2:
                        tag = x.decode()
                    elif n == 2 and w == 5:
                        simple = struct.unpack("<f", x)[0]
                if tag is not None and simple is not None:
                    event["values"][tag] = simple
    return event


def main(path):
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        header = data[pos:pos + 12]
        if len(header) < 12:
            sys.exit("%s: byte offset %d: record header cut short" % (path, pos))
        (length,) = struct.unpack("<Q", header[:8])
        (length_crc,) = struct.unpack("<I", header[8:])
        if masked(crc32c(header[:8])) != length_crc:
            sys.exit("%s: byte offset %d: length CRC mismatch" % (path, pos))
        body = data[pos + 12:pos + 12 + length]
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        if masked(crc32c(body)) != body_crc:
            sys.exit("%s: byte offset %d: data CRC mismatch" % (path, pos + 12))
        print(decode_event(body))
        pos += 16 + length


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
