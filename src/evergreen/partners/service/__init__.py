"""The partner program's use cases: load, decide with the rules, store, announce."""

from __future__ import annotations

from evergreen.partners.rules.terms import EventType
from evergreen.partners.service.conversions import ConversionIn, Recorded, record_conversion
from evergreen.partners.service.conversions_batch import record_conversions
from evergreen.partners.service.invitations import (
    PortalLink,
    accept_invitation,
    account_exists,
    issue_invite,
    mail_portal_link,
    usable_invitation,
)
from evergreen.partners.service.late_attribution import attribute_by_hand, attribute_late_clicks
from evergreen.partners.service.lifecycle import approve_due, change_status, get_commission, move
from evergreen.partners.service.partner_edits import remove_coupon, unassign_link, update_partner
from evergreen.partners.service.partners import (
    add_coupon,
    assign_link,
    create_partner,
    default_program,
    get_partner,
    list_partners,
    partner_for_user,
    program_of,
    set_status,
    sign_up,
)
from evergreen.partners.service.payout_detail import (
    PayoutDetail,
    partner_payout,
    payout_detail,
    write_payout_commissions,
)
from evergreen.partners.service.payout_notices import notices_of, send_due_notices
from evergreen.partners.service.payouts import (
    create_payout,
    export_payout,
    get_payout,
    mark_paid,
    statement,
)
from evergreen.partners.service.postings import post_to_ledger
from evergreen.partners.service.referral import give_referral_link
from evergreen.partners.service.settings import settings_of, update_settings
from evergreen.partners.service.terms import TermsDraft, add_terms, terms_of
from evergreen.partners.service.webhooks import (
    add_endpoint,
    delete_endpoint,
    deliver_due,
    list_endpoints,
    recent_deliveries,
    set_active,
)

__all__ = [
    "ConversionIn",
    "EventType",
    "PayoutDetail",
    "PortalLink",
    "Recorded",
    "TermsDraft",
    "accept_invitation",
    "account_exists",
    "add_coupon",
    "add_endpoint",
    "add_terms",
    "approve_due",
    "assign_link",
    "attribute_by_hand",
    "attribute_late_clicks",
    "change_status",
    "create_partner",
    "create_payout",
    "default_program",
    "delete_endpoint",
    "deliver_due",
    "export_payout",
    "get_commission",
    "get_partner",
    "get_payout",
    "give_referral_link",
    "issue_invite",
    "list_endpoints",
    "list_partners",
    "mail_portal_link",
    "mark_paid",
    "move",
    "notices_of",
    "partner_for_user",
    "partner_payout",
    "payout_detail",
    "post_to_ledger",
    "program_of",
    "recent_deliveries",
    "record_conversion",
    "record_conversions",
    "remove_coupon",
    "send_due_notices",
    "set_active",
    "set_status",
    "settings_of",
    "sign_up",
    "statement",
    "terms_of",
    "unassign_link",
    "update_partner",
    "update_settings",
    "usable_invitation",
    "write_payout_commissions",
]
