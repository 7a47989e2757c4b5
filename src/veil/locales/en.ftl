## Veil's texts, English. Keys are stable; add a language by copying this file
## to locales/<code>.ftl (Telegram's language code, e.g. de.ftl, pt-br.ftl), or to the
## directory VEIL_LOCALES_DIR names (which overrides any text without touching Veil).

## Buttons
button-live-support = 🛟 Live Support
button-end-chat = ✖️ End chat
button-transcript = 📄 { $ticket }
button-close-ticket = ✅ Close ticket
button-take-ticket = ✋ Take

## Client: private chat
menu =
    👋 Hello!
    Need a hand? Press Live Support to talk to a person.
ticket-opened =
    ✅ You're connected to Live Support. Your ticket is { $ticket }.
    Write your question here: text, photos, files and voice messages are all fine.
    A person from our team will answer in this chat. Send /end when you're done.
ticket-continues =
    💬 You're already talking to Live Support (ticket { $ticket }).
    Just keep writing here; send /end to finish.
no-open-ticket = You're not connected to Live Support right now. Press the button below to start a conversation.
unsupported-kind = ⚠️ This kind of message ({ $kind }) can't be sent to Live Support. Please send text, photos, videos, files, voice messages or a location.
contact-not-relayed = 🔒 For your privacy, contact cards are not passed on. If you want to share a number, type it as text.
nothing-to-end = You have no open conversation with Live Support.
notice-already-ended = This chat has already ended.
chat-ended =
    👋 Chat ended. Your ticket { $ticket } is closed.
    Thank you! Press Live Support any time you need us again.
chat-auto-closed =
    💤 This conversation (ticket { $ticket }) was closed after { $silence } without messages.
    Write here within { $window } to pick it up again, or press Live Support any time.
auto-close-warning = ⏳ This conversation (ticket { $ticket }) will close in { $left } if there are no new messages. Write here to keep it open.
ticket-reopened = 🔄 Welcome back! Your conversation { $ticket } is open again; we have passed your message on.
rate-ask = How did we do with { $ticket }? Rate the conversation from 1 (poor) to 5 (excellent).
rate-button = { $score } ⭐
rate-thanks = 🙏 Thank you for rating us { $score }/5. Want to tell us more?
button-rate-comment = ✍️ Add a comment
rate-comment-ask = ✍️ Write your comment in one message within { $minutes } minutes. Our team sees it without your name.
rate-comment-thanks = 🙏 Thank you, your comment has been passed on.
rate-already = You have already rated this conversation. Thank you!
rate-still-open = This conversation is open again: you can rate it once it is closed.
rate-comment-closed = There is no rating waiting for a comment.
chat-closed-by-support =
    ✅ Live Support closed this conversation (ticket { $ticket }).
    If you need anything else, press Live Support to start again.
tickets-none = You have no support tickets yet.
tickets-header = 🗂 Your support tickets (newest first). Tap one to read its transcript.
tickets-line = • { $ticket } — { $status } — opened { $opened } UTC
status-new = waiting for an answer
status-open = open
status-closed = closed
notice-unknown-ticket = That ticket can't be found.
notice-stale-button = This button is no longer valid.
notice-button-expired = This button has expired. Please use the command instead, or ask for a new message.
transcript-header = 📄 Transcript of { $ticket }
transcript-you = [{ $time }] You: { $text }
transcript-support = [{ $time }] Live Support: { $text }
transcript-empty = (no messages)
media-kind = { $kind ->
    [photo] [photo]
    [video] [video]
    [audio] [audio]
    [document] [file]
    [voice] [voice message]
    [video_note] [video message]
    [animation] [GIF]
    [sticker] [sticker]
    [location] [location]
    [venue] [place]
    [contact] [contact card, not passed on]
   *[other] [{ $kind }]
}
plain = { $text }
error-try-again = ⚠️ Something went wrong on our side and your last action was not completed. Please try again in a moment.

## Desk: the agents' supergroup
desk-not-an-agent = ⛔ Only support agents can answer clients. Your message was not sent to anyone. (Admins: reply /remove_member to a message to take its author out of the desk.)
desk-admins-only = ⛔ Only admins can do that.
desk-remove-member-usage = Reply /remove_member to a message of the person to take out of the desk groups.
desk-remove-member-agent = That person is an agent or an admin: an admin removes agents with /remove_agent Agent-N in a private chat with the bot.
desk-removal-refused = ⚠️ Someone taken off the team could not be removed from these desk groups: { $groups }. Remove them there by hand (the bot needs the right to ban members).
desk-member-removed = 🚪 Taken out of the desk groups. They can be invited again later.
desk-use-in-topic = This command works inside a ticket's topic.
desk-ticket-closed = 🔒 Ticket { $ticket } is closed; the client will not receive messages from this topic.
desk-kind-not-relayed = ⚠️ A { $kind } can't be sent to a client (it could identify you, or the client's chat can't show it). Nothing was sent.
desk-note-empty = Write the note after the command: /note <text>
desk-note-saved = 📝 Internal note saved. The client does not see it.
desk-closed = ✅ Ticket closed. The client has been told.
desk-client-ended = 👋 The client ended the chat. The ticket is closed.
desk-client-unreachable = 🚫 The client can't be reached (they blocked the bot or left Telegram). Messages to them are not delivered.
desk-wrong-chat = This command is for clients in their private chat with the bot. Nothing was sent to the client.
desk-unknown-command = ⚠️ Unknown command; nothing was sent to the client. In a ticket's topic: /note <text> (internal), /close, /private. A plain message goes to the client.
desk-anonymous = ⚠️ Messages sent as the group (Remain anonymous) can't be sent to a client: nobody can be checked as an agent. Turn off Remain anonymous in your admin rights and write again.
desk-private-wrong-chat = Desk commands (/close, /note) work inside a ticket's topic in the support group.
client-contact-withheld = 🔒 The client shared a contact card. It is not shown, to keep the client anonymous.
notice-closed = Ticket { $ticket } closed.
card-unassigned = nobody yet
card =
    🎫 { $ticket }
    Client: { $client }
    Status: { $status }
    Priority: { $priority } · Level: { $level } · Category: { $category }
    Opened: { $opened } (waiting { $waiting } min)
    Assigned: { $assigned }
    Earlier tickets of this client: { $earlier }

## Bot commands menu
command-start = Main menu
command-support = Talk to Live Support
command-end = End the support chat
command-tickets = Your support tickets
command-help = Help
command-online = Go online: receive tickets
command-away = Away: keep your tickets, get no new ones
command-offline = Go offline
command-mine = Your open tickets
command-queue = Waiting tickets
command-stats = Your figures
command-agents = The team
command-invite_agent = Invite an agent
command-remove_agent = Remove an agent
command-report = Reports and figures
command-ban = Ban the client of a ticket
command-unban = Lift a ban
command-canned_list = Canned answers
command-note = Internal note
command-close = Close the ticket
command-take = Take the ticket
command-transfer = Hand the ticket over
command-escalate = Escalate one level
command-priority = Change the priority
command-canned = Send a canned answer
command-private = Work the ticket in your private chat
command-reschedule = Offer another slot
command-cancel_booking = Offer to cancel the appointment

## Help, by who asks
help-client =
    ℹ️ Live Support connects you with a person from our team.
    /support — start a conversation (or press Live Support)
    /end — end it
    /tickets — your earlier tickets and their transcripts
    /forget_me — erase your conversations with us
help-agent =
    ℹ️ For agents, here: /online, /away, /offline — your availability; /mine — your open tickets; /queue — waiting tickets; /stats — your figures.
    In a ticket's topic a plain message goes to the client; /note <text> stays internal; /close, /take, /transfer, /escalate, /priority, /canned, /private; /reschedule and /cancel_booking when the ticket is about an appointment.
help-admin =
    ℹ️ For admins, here: /invite_agent <L1|L2|L3>, /agents, /agent_level, /agent_capacity, /remove_agent, /ban SUPP-… [30m|12h|7d] [reason], /unban SUPP-…, /allow SUPP-… tickets|messages <count|default>, /canned_set, /canned_delete, /canned_list. In the desk: reply /remove_member to a message to take its author out.
help-desk =
    ℹ️ In a ticket's topic a plain message goes to the client; /note <text> stays internal; /close, /take, /transfer Agent-N or queue, /escalate [reason], /priority <level>, /canned, /private; /reschedule and /cancel_booking for appointments.

## Routing and the queue
agent-joined = 👋 A support agent has joined the conversation and will answer you here.
queue-position = ⏳ All our agents are busy right now. You are number { $position } in the queue; we'll tell you as soon as someone joins. Feel free to keep writing: nothing is lost.
desk-assigned = 📌 Assigned to { $agent } ({ $reason }).
desk-not-yours = 🔒 This ticket belongs to { $owner }. Only its owner, an agent of a higher level or an admin can answer or change it. Use /take to take it over, or /note to leave a note.
desk-take-level = ⛔ This ticket needs level { $level } or above.
desk-take-already = You already own this ticket.
desk-take-full = ⛔ You are at your capacity ({ $capacity } tickets). Close or transfer one first.
desk-transfer-usage = Use /transfer Agent-7 to hand the ticket over, or /transfer queue to put it back in the queue.
desk-transfer-unknown = ⚠️ There is no agent called { $alias }. /transfer Agent-7, or /transfer queue.
desk-transfer-level = ⛔ { $alias } can't take it: this ticket needs level { $level } or above.
desk-transfer-full = ⛔ { $alias } is at capacity.
desk-back-to-queue = ↩️ Back in the queue; the next free agent gets it.
desk-sla-warning = ⏱ { $owner }: the { $clock ->
        [first_response] first response
        [next_response] next response
       *[resolution] resolution
    } target of this ticket ({ $target }, { $priority }) runs out in { $left }.
desk-sla-warning-unowned = ⏱ Nobody has taken this ticket yet: its { $clock ->
        [first_response] first response
        [next_response] next response
       *[resolution] resolution
    } target ({ $target }, { $priority }) runs out in { $left }. /take it?
desk-sla-breached = ⏰ The { $clock ->
        [first_response] first response
        [next_response] next response
       *[resolution] resolution
    } target of this ticket ({ $target }, { $priority }) was missed.
desk-sla-escalation-reason = the first response target ({ $target }) was missed
admin-sla-top = 🚨 Ticket { $ticket } is at L3 and missed its first response target ({ $target }, { $priority }). There is no higher level to escalate to: please look at it.
desk-auto-closed = 💤 Closed automatically after { $silence } without messages. The client has been told how to come back.
desk-auto-closed-private = 💤 Ticket { $ticket } closed automatically after { $silence } without messages.
desk-reopened = 🔄 The client came back: the ticket is open again.
desk-rated = { $stars } The client rated this conversation { $score }/5.
desk-rating-comment = 💬 The client's comment on their rating: { $comment }
desk-escalate-top = ⛔ This ticket is already at the highest level (L3).
desk-escalate-no-reason = no reason given
desk-escalated = ⬆️ Escalated to { $level } by { $by }: { $reason }
desk-priority-usage = Use /priority low, /priority normal, /priority high or /priority urgent.
desk-priority-set = 🚦 Priority is now { $priority }.
escalation-brief =
    ⬆️ Ticket { $ticket } was escalated to you ({ $level }).
    Reason: { $reason }
    History:
history-from_client = Client
history-from_agent = Agent
history-note = Note

## Agents and admins, private chat
admin-only = ⛔ Only admins can do that.
agents-only = ⛔ Only support agents can do that. An admin can invite you with /invite_agent.
invite-usage = Use /invite_agent L1, /invite_agent L2 or /invite_agent L3.
invite-created =
    🔗 Invite link for an { $level } agent (one use, valid { $hours } h):
    { $link }
    Send it to the new agent; opening it makes them an agent.
invite-invalid = ⛔ This invite link is not valid: it was used already or has expired. Ask an admin for a new one.
invite-accepted =
    🎉 You are now a support agent ({ $level }), known to the team as { $alias }.
    Join the support desk group, then send /online to start receiving tickets.
    In a ticket's topic, /private brings a busy conversation to this chat (/back returns it).
status-now-online = 🟢 You are online as { $alias } ({ $load }/{ $capacity } tickets). New tickets will come to you{ $assigned ->
    [0] .
   *[other] ; { $assigned } assigned just now.
}
status-now-away = 🟡 You are away: you keep your { $load } tickets but get no new ones.
status-now-offline = ⚫ You are offline. Your { $load } open tickets go back to the queue if you don't come back soon.
agents-header = 👥 Agents ({ $count }):
agents-line = • { $alias } — { $level } — { $status } — { $load }/{ $capacity }
agent-unknown = ⚠️ There is no agent called { $alias }. See /agents.
agent-level-usage = Use /agent_level Agent-7 L2.
agent-capacity-usage = Use /agent_capacity Agent-7 8 (1 to 50).
agent-changed = ✅ { $alias } is now { $level } with capacity { $capacity }.
agent-removed = ✅ { $alias } is no longer an agent; their open tickets went back to the queue ({ $requeued } reassigned), and they are taken out of the desk groups (you may invite them again later).
agent-is-hosts = { $alias } is a support agent in your bot's own records, and Veil never changes those: take the role away there, and they stop answering tickets.
mine-none = You have no open tickets.
mine-header = 📂 Your open tickets ({ $count }):
mine-line = • { $ticket } — { $priority } — { $level } — quiet for { $waiting } min { $link }
queue-none = The queue is empty.
queue-header = ⏳ Waiting tickets ({ $count }):
queue-line = { $position }. { $ticket } — { $priority } — { $level } — waiting { $waiting } min
stats =
    📊 Your figures, { $alias } ({ $period }):
    { $body }
    Open now: { $open }
report-usage = Use /report, /report today, /report week, /report month, /report 2026-12-01 or /report 2026-12-01..2026-12-07.
report-coming = 📈 Your report for { $period } is on its way.
report-header = 📈 Report, { $period }: { $opened } tickets opened, { $closed } closed; { $open } open now, { $waiting } waiting for an agent.
report-daily = 🗓 Daily digest, { $period }: { $opened } tickets opened, { $closed } closed; { $open } open now, { $waiting } waiting for an agent.
report-levels = First response SLA by level: best { $best }, worst { $worst }.
stats-usage = Use /stats, /stats today, /stats week, /stats month, /stats 2026-12-01 or /stats 2026-12-01..2026-12-07.
stats-desk = 📊 The desk, { $period }: { $opened } tickets opened
stats-level = — Level { $level } —
stats-agent = • { $alias }: first response { $fr_median }, SLA { $sla_fr }, { $closed } closed, CSAT { $csat }
figures =
    First response: median { $fr_median }, p90 { $fr_p90 } ({ $fr_count } answered)
    Next response: median { $nr_median }, p90 { $nr_p90 }
    Resolution: median { $res_median }, p90 { $res_p90 }
    SLA met: first response { $sla_fr }, next response { $sla_nr }, resolution { $sla_res }
    Closed: { $closed } (resolved by an agent { $resolved }, auto-closed { $auto_closed }, ended by the client { $abandoned }), reopened { $reopened }
    CSAT: { $csat } (average { $average }, { $ratings } ratings, response rate { $response })

## Canned answers
canned-usage =
    Canned answers:
    /canned_set <name> <text> — create or change (use {"{"}ticket{"}"} for the ticket id)
    /canned_delete <name>
    /canned_list
canned-saved = ✅ Canned answer "{ $name }" saved.
canned-deleted = 🗑 Canned answer "{ $name }" deleted.
canned-none = There are no canned answers yet. /canned_set <name> <text> adds one.
canned-list =
    📚 Canned answers:
    { $lines }
canned-none-desk = There are no canned answers yet; an admin can add them with /canned_set.
canned-pick = 📚 Pick an answer to send to the client:
canned-sent = 📤 Sent "{ $name }" to the client: { $text }
canned-sent-notice = Sent "{ $name }".

## Watching the desk
desk-owner-offline = ⚫ { $agent } has been offline too long; this ticket went back to the queue.
desk-agent-lapsed = 🚪 { $alias } no longer has the right to answer tickets (the bot's own records changed): their tickets went back to the queue, and they are taken out of the desk groups.
desk-queue-alert = 🚨 { $late } of { $count } waiting tickets have waited more than the target (longest: { $minutes } min). Agents who can: go /online.
away-ping = 🚨 The queue needs help: { $late } tickets have waited too long (longest { $minutes } min). Send /online if you can take some.
join-desk-first = ⚠️ You are not a member of the support desk group yet, so you can't see its topics. Ask an admin to add you, then send /online again. You are offline for now.

# An edit of a client's text that went out bundled with others follows as a reply.
edited-part = ✏️ Edited:

# Working a ticket from the agent's private chat with the bot (/private, /back).
private-started = 🔒 You now work { $client } here. Their messages come to this chat; what you write here goes to them. /note <text> keeps a note, /close closes the ticket, /back hands it back to its topic.
private-already = You already work { $client } here.
private-ended = ↩️ { $client } is back in its topic; its messages go there again.
private-none = You work no ticket here. In a ticket's topic, /private brings it to this chat.
private-unknown-command = ⚠️ Unknown command; nothing was sent to the client. Here: /note <text> (internal), /close, /back. A plain message goes to the client.
private-taken-away = ↩️ { $client } is no longer yours to answer (reassigned, escalated or back in the queue); this chat is yours again, and nothing you write here reaches them.
private-lost = ⛔ { $client } is no longer yours to answer; it went back to its topic. Nothing was sent.
desk-private-started = 🔒 { $agent } works this ticket from their private chat; the client's messages go there until /back. The conversation is kept with the ticket.
desk-private-ended = ↩️ This ticket is worked here in the topic again.
undeliverable-to-desk = ⚠️ A { $kind } from the client could not be delivered here: Telegram refused it ({ $error }). It is kept with the ticket.
undeliverable-answer = ⚠️ An answer ({ $kind }) could not be delivered to the client: Telegram refused it ({ $error }). Please send it again in another form.
undeliverable-to-client = ⚠️ A { $kind } from Live Support could not be delivered: Telegram refused it ({ $error }).
why-right-gone = no longer an agent who may answer it, or their chat refuses the bot
desk-private-revoked = ↩️ This ticket is worked here in the topic again: the agent who had it in private may no longer work it ({ $why }).
desk-closed-private = ✅ Ticket { $ticket } is closed; the client has been told.

# What a ticket is about: the host's appointment, as the host describes it.
card-escalated = ⬆️ Escalated: { $reason }
card-follows = ↩️ Follows { $ticket } (the same client)
card-about = 📅 About: { $service } · { $when } · with { $provider } · { $status }
desk-now-about = 📅 The client now asks about: { $service }.
desk-no-appointment = This ticket is about no appointment, so there is nothing to reschedule or cancel.
desk-no-slots = No free slots to offer for this appointment right now.
desk-host-failed = ⚠️ The booking system did not answer; nothing was offered. Try again in a moment.
desk-pick-slot = 🗓 Pick a slot to offer the client for their { $service }:
desk-not-yours-to-offer = Only whoever may answer this ticket can make offers on it.
notice-offer-sent = Offered to the client.
notice-offer-gone = This offer is no longer open.
desk-offer-sent = 📨 Offered to the client: { $what }. Waiting for their answer.
desk-offer-declined = ✖️ The client declined: { $what }.
desk-offer-accepted = ✅ The client accepted: { $what }. The booking system is carrying it out.
desk-offer-done = ✅ Done: { $result }
desk-offer-failed = ⚠️ Could not be done: { $result }
offer-what-reschedule = move the appointment to { $slot }
offer-what-cancel = cancel the appointment
offer-impossible = the ticket or its appointment is gone
offer-host-failed = the booking system failed to answer
offer-reschedule =
    🗓 Live Support offers to move your { $service } ({ $when }) to { $slot }.
    Shall we?
offer-cancel =
    🗓 Live Support offers to cancel your { $service } ({ $when }).
    Shall we?
button-offer-yes = ✅ Yes, please
button-offer-no = ✖️ No, thanks
notice-offer-accepted = On it.
notice-offer-declined = All right, nothing changes.
offer-done = ✅ Done: { $result }
offer-failed = ⚠️ That could not be done: { $result }. Live Support has been told.

## Limits and bans
limit-tickets_per_day =
    ⏳ You have started { $count ->
        [one] one conversation
       *[other] { $count } conversations
    } in the last 24 hours, the most we can take. You can start a new one in { $hours ->
        [0] { $minutes ->
            [one] one minute
           *[other] { $minutes } minutes
        }
        [one] about an hour
       *[other] about { $hours } hours
    }.
limit-messages_per_hour =
    ⏳ You have sent { $count } messages in the last hour, the most we can take: what you send now does not reach support. You can write again in { $hours ->
        [0] { $minutes ->
            [one] one minute
           *[other] { $minutes } minutes
        }
        [one] about an hour
       *[other] about { $hours } hours
    }.
banned = 🚫 We are sorry: support is not available to you at the moment.
slow-down = ⏳ Too many commands or buttons at once (at most { $count } a minute): wait a moment, then try again.
ban-usage = Usage: /ban SUPP-… [30m | 12h | 7d] [reason]. Without a duration the ban lasts until /unban.
ban-bad-duration = A duration is a number and a unit: 30m, 12h, 7d or 2w (up to 10 years).
ban-unknown-ticket = There is no ticket { $ticket }.
ban-done = 🚫 The client of { $ticket } is banned for { $minutes } minutes. Nothing they send reaches the desk.
ban-done-forever = 🚫 The client of { $ticket } is banned until /unban { $ticket }. Nothing they send reaches the desk.
unban-usage = Usage: /unban SUPP-…
unban-done = ✅ The client of { $ticket } may use support again.
unban-not-banned = The client of { $ticket } is not banned.
desk-client-banned = 🚫 An admin banned this client; the ticket is closed.
allow-usage = Usage: /allow SUPP-… tickets|messages <count|default>: the tickets a day or messages an hour the person behind that ticket may send.
allow-done-tickets_per_day = ✅ The client of { $ticket } may now open { $count } tickets a day.
allow-done-messages_per_hour = ✅ The client of { $ticket } may now send { $count } messages an hour.

## Privacy
masked-phone = [phone number hidden]
masked-email = [e-mail address hidden]
masked-card = [card number hidden]
client-text-invisible = [a message of invisible characters only]
masked-told = 🔒 For your safety, phone numbers, e-mail addresses and card numbers you type are hidden from the support team. Describe your question without them; we never need your card number.
forget-ask =
    🗑 /forget_me erases what you wrote to support and what support wrote to you, in every one of your tickets, and the link between those tickets and you. It cannot be undone. An open conversation ends.
button-forget-me = Erase my conversations
forget-done = 🗑 Done: { $tickets ->
        [one] your ticket was
       *[other] your { $tickets } tickets were
    } erased. Write to us any time to start afresh.
forget-banned = Support is not available to you at the moment, and so neither is this.
forget-staff = Agents and admins cannot erase themselves here: an admin can take you off the team (/remove_agent).
