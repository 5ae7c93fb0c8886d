"""Presets plus keyword overrides: the one way every method's configuration is made and read back.

A configuration is a frozen dataclass whose `__post_init__` checks its own values. `make_config` starts from a
named preset and applies overrides (None keeps the preset's value; a key that names no field is refused; a key
that is a field of exactly one nested configuration goes there, so `epochs=5` reaches `train.epochs`).
`config_from_dict` rebuilds a configuration from stored JSON, checking every field's type.
"""
import types
import typing
from dataclasses import asdict, fields, is_dataclass, replace


class ConfigError(ValueError):
    """A preset, setting or stored configuration that cannot be used."""


def make_config(presets: dict, preset: str, what: str, **overrides):
    """The preset named `preset` of `presets`, with `overrides` applied and checked."""
    if preset not in presets:
        raise ConfigError(f"unknown {what} preset {preset!r}; choose from {', '.join(presets)}")
    return with_overrides(presets[preset], what, **overrides)


def with_overrides(cfg, what: str, **overrides):
    changes, nested = {}, {}
    names = {f.name for f in fields(cfg)}
    for key, value in overrides.items():
        if value is None:
            continue
        if key in names:
            current = getattr(cfg, key)
            if is_dataclass(current) and isinstance(value, dict):
                value = with_overrides(current, what, **value)
            changes[key] = _coerce(value, _hints(type(cfg))[key], f"{what} setting {key}")
            continue
        owner = [f.name for f in fields(cfg) if is_dataclass(getattr(cfg, f.name))
                 and key in {g.name for g in fields(getattr(cfg, f.name))}]
        if len(owner) != 1:
            raise ConfigError(f"unknown {what} setting {key!r}; settings: {', '.join(sorted(setting_names(cfg)))}")
        nested.setdefault(owner[0], {})[key] = value
    for name, values in nested.items():
        changes[name] = with_overrides(changes.get(name, getattr(cfg, name)), what, **values)
    try:
        return replace(cfg, **changes)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{what}: {err}") from None


def setting_names(cfg) -> set[str]:
    """Every key with_overrides accepts for this configuration."""
    names = set()
    for f in fields(cfg):
        names.add(f.name)
        if is_dataclass(getattr(cfg, f.name)):
            names |= setting_names(getattr(cfg, f.name))
    return names


def config_from_dict(cls, data, what: str):
    """Rebuild a configuration from JSON: every field present, of the right type, nothing unknown."""
    if not isinstance(data, dict):
        raise ConfigError(f"{what}: expected a mapping of settings, got {type(data).__name__}")
    hints = _hints(cls)
    unknown, missing = set(data) - set(hints), set(hints) - set(data)
    if unknown or missing:
        detail = (f"unknown {', '.join(sorted(unknown))}" if unknown else "") + \
                 ("; " if unknown and missing else "") + (f"missing {', '.join(sorted(missing))}" if missing else "")
        raise ConfigError(f"{what}: settings do not match this version of ganclf ({detail})")
    values = {}
    for name, hint in hints.items():
        if is_dataclass(hint):
            values[name] = config_from_dict(hint, data[name], f"{what}.{name}")
        else:
            values[name] = _coerce(data[name], hint, f"{what} setting {name}")
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{what}: {err}") from None


def config_to_dict(cfg) -> dict:
    return asdict(cfg)


def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _coerce(value, hint, where: str):
    """value as the annotated type, or a ConfigError; JSON lists become tuples, ints may stand for floats."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union \
        else (hint,)
    if value is None:
        if type(None) in options:
            return None
        raise ConfigError(f"{where} may not be empty")
    for option in options:
        if option is type(None):
            continue
        if is_dataclass(option) and isinstance(value, option):
            return value
        if option is bool and isinstance(value, bool):
            return value
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return value
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option is str and isinstance(value, str):
            return value
        if (option is tuple or typing.get_origin(option) is tuple) and isinstance(value, (list, tuple)):
            return tuple(value)
        if (option is dict or typing.get_origin(option) is dict) and isinstance(value, dict):
            return value
    names = " or ".join(getattr(o, "__name__", str(o)) for o in options if o is not type(None))
    raise ConfigError(f"{where} must be {names}, not {value!r}"[:300])
