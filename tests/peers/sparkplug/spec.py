"""What host.py and decode.py share: Sparkplug B datatypes by the specification's names ("Int16",
not pysparkplug's "INT16") and values made JSON (DateTime as milliseconds, Bytes as hex)."""

import datetime

from pysparkplug import DataType

NAMES = {
    "Unknown": DataType.UNKNOWN,
    "Int8": DataType.INT8,
    "Int16": DataType.INT16,
    "Int32": DataType.INT32,
    "Int64": DataType.INT64,
    "UInt8": DataType.UINT8,
    "UInt16": DataType.UINT16,
    "UInt32": DataType.UINT32,
    "UInt64": DataType.UINT64,
    "Float": DataType.FLOAT,
    "Double": DataType.DOUBLE,
    "Boolean": DataType.BOOLEAN,
    "String": DataType.STRING,
    "DateTime": DataType.DATETIME,
    "Text": DataType.TEXT,
    "UUID": DataType.UUID,
    "Bytes": DataType.BYTES,
    "File": DataType.FILE,
}
SPEC_NAME = {v: k for k, v in NAMES.items()}


def spec_name(dt):
    """The specification's name of datatype number `dt`; the number when it has none here."""
    try:
        return SPEC_NAME[DataType(dt)]
    except (KeyError, ValueError):
        return int(dt)


def jsonable(value):
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value
