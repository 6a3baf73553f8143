"""Alerting: from tagged documents to messages people receive.

- ``matching``: what the ingest transaction writes (document matches, alerts, outbox rows);
  ``selectors`` decide which documents each subscription kind selects, ``severity`` how severe a
  document is for one enterprise, ``payload`` what an alert says.
- ``outbox`` and ``worker``: claiming, sending, retrying deliveries; ``channel_health``:
  disabling failing channels, notifying owners (``notices``), re-enabling with replay.
- ``channels``: one module per channel kind behind one Protocol, with a registry;
  ``ssrf`` and ``signing`` guard and sign outgoing webhooks.
- ``messages`` and ``templates/``: what a message says, per language; ``unsubscribe``: the
  signed links in e-mails; ``digest``: daily and weekly digests; ``preview``: hits per week of
  a saved search before it is saved; ``test_send``: a test message and its curl command.
"""
