"""Money and customer value: costs, lost value, churn and experience KPIs of a run.

>>> results = ccsim.simulate("configs/retail_bank.toml")   # doctest: +SKIP
>>> results.money.breakdown()                              # doctest: +SKIP

``account(results)`` builds the ``Money`` tables (``results.money`` does it once and keeps
them); ``contact_experience(results)`` gives each contact's churn probability, CSAT, CES and
NPS odds; ``risk(results)`` the probability that an interval or a day meets its target;
``with_prices(scenario, path)`` adds the prices of a separate prices file.
"""

from ccsim.economics.accounting import Money, account
from ccsim.economics.experience import contact_experience
from ccsim.economics.prices import with_prices
from ccsim.economics.targets import interval_risk, risk

__all__ = ["Money", "account", "contact_experience", "interval_risk", "risk", "with_prices"]
