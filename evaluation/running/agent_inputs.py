"""The agent's arguments for a run, checked before anything starts: a name that resolves, a checkpoint that loads, a
policy server that answers (its identity is recorded once per run), and a model or served policy whose action width
is the embodiment's."""

from __future__ import annotations

import functools
from typing import Any

from evaluation.running.errors import EvalConfigError
from evaluation.running.protocol import ExpertActionCache


def agent_arguments(
    cfg, agent: str, expert_cache: ExpertActionCache | None, action_dim: int | None = None
) -> dict[str, Any]:
    """``action_dim``: the width the simulator takes, when it is not ``cfg.embodiment``'s (a RoboTwin checkout's
    robot)."""
    from agents import BUILTIN_AGENTS, resolve_agent_class

    try:
        resolve_agent_class(agent)
    except ValueError as exc:
        raise EvalConfigError(str(exc)) from exc
    if agent not in BUILTIN_AGENTS:
        return dict(cfg.plugin or {})
    kwargs = dict(cfg.agents.get(agent) or {})
    if agent == "expert":
        kwargs["actions_root"] = str(expert_cache.root)
    if agent == "remote":
        if not kwargs.get("server"):
            raise EvalConfigError("agent 'remote' needs --server ws://HOST:PORT")
        identity = server_identity(kwargs)  # fail fast when the server is gone or refuses the token
        fits_embodiment(served_policy(identity), identity["action_dim"], cfg.embodiment, action_dim)
    if agent == "replay" and not kwargs.get("dataset"):
        raise EvalConfigError("agent 'replay' needs agents.replay.dataset=<Motus-layout dataset folder>")
    if agent == "motus":
        if not cfg.checkpoint:
            raise EvalConfigError("agent 'motus' needs --checkpoint DIR")
        from motus.checkpoint import CheckpointError, find_checkpoint, validate_checkpoint
        from motus.config import ConfigError, load_config
        from motus.preset import UnknownPresetError, resolve_preset

        try:
            config = load_config(kwargs["config"]) if kwargs.get("config") else None
            config = validate_checkpoint(cfg.checkpoint, config)
        except (CheckpointError, ConfigError, FileNotFoundError) as exc:
            raise EvalConfigError(f"checkpoint {cfg.checkpoint} does not load: {exc}") from exc
        model = f"checkpoint {cfg.checkpoint} (model config {config.name})"
        fits_embodiment(model, config.action_dim, cfg.embodiment, action_dim)
        try:  # resolved here, so every worker uses the same preset and run.json records it
            preset = resolve_preset(kwargs.get("preset") or "auto", find_checkpoint(cfg.checkpoint)[0], config.preset)
        except UnknownPresetError as exc:
            raise EvalConfigError(str(exc)) from exc
        kwargs["preset"] = preset.name
        kwargs["checkpoint"] = str(cfg.checkpoint)
    return kwargs


def fits_embodiment(policy: str, action_dim: int | None, embodiment: str, width: int | None = None) -> None:
    """Refuse a policy whose action width is not the evaluated embodiment's (or ``width``, when the simulator says
    it): otherwise every episode would end at its first action, or the model would refuse the robot's state inside a
    worker."""
    from agents.action_space import ActionWidthError, check_action_width

    if action_dim is None:
        raise EvalConfigError(f"{policy} does not say its action_dim, so it cannot be matched to {embodiment}")
    if width is not None:
        if int(action_dim) != width:
            raise EvalConfigError(f"{policy} has action_dim {action_dim} but {embodiment} takes {width}-D actions")
        return
    try:
        check_action_width(policy, action_dim, embodiment)
    except ActionWidthError as exc:
        raise EvalConfigError(str(exc)) from exc


def served_policy(identity: dict[str, Any]) -> str:
    """A policy server in words, for errors: its address, agent and model config when it serves a model."""
    model = identity.get("model") if isinstance(identity.get("model"), dict) else {}
    config = f", model config {model['config']}" if model.get("config") else ""
    return f"policy server {identity['server']} (agent {identity['agent']}{config})"


@functools.cache
def _probe(server: str, token: str | None) -> dict[str, Any]:
    from agents import AgentError
    from motus_client.remote import RemoteAgent

    try:
        metadata = RemoteAgent(server, token, retries=1).probe()
    except (AgentError, ValueError) as exc:
        raise EvalConfigError(str(exc)) from exc
    return {
        "server": server,
        "agent": metadata.get("agent"),
        "model": metadata.get("model"),
        "action_dim": metadata.get("action_dim"),
        "embodiment": metadata.get("embodiment"),
    }


def server_identity(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The served model's identity (recorded in run.json); one connection per run, however often it is asked."""
    return _probe(kwargs["server"], kwargs.get("token"))
