-- The duplicate check looks requests up by card.
CREATE INDEX IF NOT EXISTS hub_requests_card ON hub_requests(card_no);
