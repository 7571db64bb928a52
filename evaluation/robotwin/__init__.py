"""The RoboTwin backend of ``motus-eval``: a user's RoboTwin 2.0 checkout driven as RoboTwin's evaluator drives it.

``checkout``, ``plan``, ``seeds`` and ``running`` run in the orchestrating process (which has the harness's own
``envs``); ``environment`` and ``handlers`` run in the backend's workers, which import RoboTwin's ``envs`` instead and
therefore nothing of ours. It lives here, not in ``envs/``, because a RoboTwin worker cannot import that package."""
