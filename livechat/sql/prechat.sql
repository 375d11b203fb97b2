-- name: get-visitor-prechat
SELECT pre_chat, pre_chat_at FROM visitors WHERE id = ?

-- name: set-visitor-prechat
UPDATE visitors SET pre_chat = ?, pre_chat_at = ? WHERE id = ?
