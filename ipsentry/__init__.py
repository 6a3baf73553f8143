"""ipsentry — 海外知识产权风险监测预警."""

__version__ = "0.1.0"
