"""``pmo-nb send``: the month's program reports to their managers (and sponsors), the executive pack to a list.

``plan`` works out the messages of a published month, one per recipient with every PDF addressed to them
(recipients from the ``contacts`` table and ``[email] pack_to``, subject and body from the month's ``kpis.csv``),
``record`` keeps ``sent.json`` (which attachment went to whom, with its hash) so that a re-run sends only what is
missing, ``transport`` talks SMTP (STARTTLS, AUTH) or writes ``.eml`` files, and ``send``
puts them together. docs/sending.md is the user's guide.
"""

from __future__ import annotations

from pmo_nb.publish.mail.plan import Attachment, Contacts, Outgoing, normalise_name
from pmo_nb.publish.mail.record import SENT_NAME, SentRecord
from pmo_nb.publish.mail.send import Delivery, SendResult, send_month

__all__ = ["Attachment", "Contacts", "Outgoing", "normalise_name", "SENT_NAME", "SentRecord", "Delivery", "SendResult",
           "send_month"]
