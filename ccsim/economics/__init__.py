"""Money and customer value: costs, lost value, churn and experience KPIs of a run.

>>> results = ccsim.simulate("configs/retail_bank.toml")   # doctest: +SKIP
>>> results.money.breakdown()                              # doctest: +SKIP

``account(results)`` builds the ``Money`` tables (``results.money`` does it once and keeps
them); ``contact_experience(results)`` gives each contact's churn probability, CSAT, CES and
NPS odds; ``risk(results)`` the probability that an interval or a day meets its target;
``with_prices(scenario, path)`` adds the prices of a separate prices file. Imports
are lazy, because ``ccsim.metrics`` imports ``ccsim.economics.experience`` for its counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Money", "account", "contact_experience", "interval_risk", "risk", "with_prices"]

if TYPE_CHECKING:
    from ccsim.economics.accounting import Money, account
    from ccsim.economics.experience import contact_experience
    from ccsim.economics.prices import with_prices
    from ccsim.economics.targets import interval_risk, risk


def __getattr__(name: str) -> Any:
    if name in ("Money", "account"):
        from ccsim.economics import accounting

        return getattr(accounting, name)
    if name == "contact_experience":
        from ccsim.economics.experience import contact_experience

        return contact_experience
    if name in ("risk", "interval_risk"):
        from ccsim.economics import targets

        return getattr(targets, name)
    if name == "with_prices":
        from ccsim.economics.prices import with_prices

        return with_prices
    raise AttributeError(f"module 'ccsim.economics' has no attribute {name!r}")
