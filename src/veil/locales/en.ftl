## Veil's texts, English. Keys are stable; add a language by copying this file
## to locales/<code>.ftl (Telegram's language code, e.g. de.ftl, pt-br.ftl).

## Buttons
button-live-support = 🛟 Live Support
button-end-chat = ✖️ End chat
button-transcript = 📄 { $ticket }
button-close-ticket = ✅ Close ticket

## Client: private chat
menu =
    👋 Welcome! This bot books and manages your appointments.
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
desk-not-an-agent = ⛔ Only support agents can answer clients. Your message was not sent to anyone.
desk-use-in-topic = This command works inside a ticket's topic.
desk-ticket-closed = 🔒 Ticket { $ticket } is closed; the client will not receive messages from this topic.
desk-kind-not-relayed = ⚠️ A { $kind } can't be sent to a client (it could identify you, or the client's chat can't show it). Nothing was sent.
desk-note-empty = Write the note after the command: /note <text>
desk-note-saved = 📝 Internal note saved. The client does not see it.
desk-closed = ✅ Ticket closed. The client has been told.
desk-client-ended = 👋 The client ended the chat. The ticket is closed.
desk-client-unreachable = 🚫 The client can't be reached (they blocked the bot or left Telegram). Messages to them are not delivered.
desk-wrong-chat = This command is for clients in their private chat with the bot. Nothing was sent to the client.
desk-unknown-command = ⚠️ Unknown command; nothing was sent to the client. In a ticket's topic: /note <text> (internal), /close. A plain message goes to the client.
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
