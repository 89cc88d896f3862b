"""What each config file is: its key pattern in the bucket, its format, and how it is checked
and normalised. A new config is a new ConfigType in CONFIG_TYPES.

Every check refuses the whole file (ConfigRejected, reason "invalid"): a config is written
whole or not at all, never in part.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatchcase
from typing import Any

from .formats import PARSERS, ConfigRejected

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _invalid(message: str) -> ConfigRejected:
    return ConfigRejected("invalid", message)


def feature_flags(value: Any) -> dict[str, bool]:
    """{"flag_name": true|false, ...}: at most 200 flags, lower-case names."""
    if not isinstance(value, dict):
        raise _invalid("feature flags: an object of name: true|false is expected")
    if len(value) > 200:
        raise _invalid("feature flags: at most 200 flags")
    flags = {}
    for name, on in value.items():
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise _invalid(f"feature flags: bad flag name {name!r}")
        if not isinstance(on, bool):
            raise _invalid(f"feature flags: {name} must be true or false")
        flags[name] = on
    return dict(sorted(flags.items()))


def _money(value: Any, field: str, *, low: Decimal = Decimal(0), high: Decimal = Decimal(100_000)) -> str:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise _invalid(f"{field}: {value!r} is not an amount") from exc
    if not amount.is_finite() or not low <= amount <= high or amount != amount.quantize(Decimal("0.01")):
        raise _invalid(f"{field}: {value!r} must be from {low} to {high}, in cents")
    return str(amount.quantize(Decimal("0.01")))


def shipping_rates(rows: Any) -> dict[str, list[dict[str, str]]]:
    """CSV `country,min_order_total,rate`: the rate of an order from that total on (a country
    code, or * for any other country). Sorted; at most 1,000 lines; no duplicates."""
    if not isinstance(rows, list) or not rows:
        raise _invalid("shipping rates: at least one line is expected")
    if len(rows) > 1000:
        raise _invalid("shipping rates: at most 1,000 lines")
    rates, seen = [], set()
    for number, row in enumerate(rows, start=2):
        if set(row) != {"country", "min_order_total", "rate"}:
            raise _invalid("shipping rates: the columns are country, min_order_total, rate")
        country = row["country"].upper()
        if not (country == "*" or re.fullmatch(r"[A-Z]{2}", country)):
            raise _invalid(f"shipping rates, line {number}: country {row['country']!r} is not a code or *")
        line = {"country": country, "min_order_total": _money(row["min_order_total"], f"line {number}"),
                "rate": _money(row["rate"], f"line {number}", high=Decimal(1000))}
        if (country, line["min_order_total"]) in seen:
            raise _invalid(f"shipping rates, line {number}: a second rate for {country} from {line['min_order_total']}")
        seen.add((country, line["min_order_total"]))
        rates.append(line)
    rates.sort(key=lambda r: (r["country"], Decimal(r["min_order_total"])))
    return {"rates": rates}


def promotions(value: Any) -> dict[str, list[dict[str, Any]]]:
    """YAML list of {code, percent_off (1-90), label}: at most 100."""
    if not isinstance(value, list):
        raise _invalid("promotions: a list is expected")
    if len(value) > 100:
        raise _invalid("promotions: at most 100")
    found, codes = [], set()
    for item in value:
        if not isinstance(item, dict) or set(item) - {"code", "percent_off", "label"}:
            raise _invalid("promotions: each is {code, percent_off, label}")
        code, percent, label = item.get("code"), item.get("percent_off"), item.get("label", "")
        if not isinstance(code, str) or not re.fullmatch(r"[A-Z0-9-]{3,32}", code):
            raise _invalid(f"promotions: bad code {code!r}")
        if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 90:
            raise _invalid(f"promotions: {code}: percent_off is a whole number from 1 to 90")
        if not isinstance(label, str) or len(label) > 200:
            raise _invalid(f"promotions: {code}: label is text of at most 200 characters")
        if code in codes:
            raise _invalid(f"promotions: {code} twice")
        codes.add(code)
        found.append({"code": code, "percent_off": percent, "label": label.strip()})
    return {"promotions": sorted(found, key=lambda p: p["code"])}


@dataclass(frozen=True)
class ConfigType:
    """Objects whose key matches `pattern` are parsed as `format`, checked and normalised by
    `normalise`, and stored under `config:<name>`; `public` ones are served by the API."""

    name: str
    pattern: str
    format: str
    normalise: Callable[[Any], Any]
    public: bool = True


CONFIG_TYPES: tuple[ConfigType, ...] = (
    ConfigType("feature-flags", "flags.json", "json", feature_flags),
    ConfigType("shipping-rates", "shipping/rates.csv", "csv", shipping_rates),
    ConfigType("promotions", "promotions.yaml", "yaml", promotions),
)


def config_type_for(key: str, prefix: str = "") -> ConfigType:
    """The config an object key holds (the bucket's `prefix` removed), or ConfigRejected."""
    relative = key[len(prefix):] if prefix and key.startswith(prefix) else key
    for config_type in CONFIG_TYPES:
        if fnmatchcase(relative, config_type.pattern):
            return config_type
    raise ConfigRejected("unknown_key", f"no config is kept under {key!r}")


def transform(config_type: ConfigType, body: bytes) -> Any:
    return config_type.normalise(PARSERS[config_type.format](body))


def public_types() -> list[str]:
    return [config_type.name for config_type in CONFIG_TYPES if config_type.public]
