## Тексты Veil, русский. Ключи те же, что в en.ftl; чего здесь нет, берётся из английского.

## Buttons
button-live-support = 🛟 Живая поддержка
button-end-chat = ✖️ Завершить чат
button-transcript = 📄 { $ticket }
button-close-ticket = ✅ Закрыть тикет
button-take-ticket = ✋ Взять

## Client: private chat
menu =
    👋 Здравствуйте!
    Нужна помощь? Нажмите «Живая поддержка», чтобы поговорить с человеком.
ticket-opened =
    ✅ Вы на связи с живой поддержкой. Номер вашего обращения: { $ticket }.
    Напишите вопрос здесь: можно текстом, фото, файлами и голосовыми.
    Сотрудник нашей команды ответит в этом чате. Когда закончите, отправьте /end.
ticket-continues =
    💬 Вы уже на связи с живой поддержкой (обращение { $ticket }).
    Просто пишите дальше; чтобы закончить, отправьте /end.
no-open-ticket = Сейчас вы не на связи с поддержкой. Нажмите кнопку ниже, чтобы начать разговор.
unsupported-kind = ⚠️ Такое сообщение ({ $kind }) нельзя передать в поддержку. Отправьте текст, фото, видео, файл, голосовое сообщение или геопозицию.
contact-not-relayed = 🔒 Ради вашей приватности карточки контактов не передаются. Если хотите сообщить номер, напишите его текстом.
nothing-to-end = У вас нет открытого разговора с поддержкой.
notice-already-ended = Этот чат уже завершён.
chat-ended =
    👋 Чат завершён. Обращение { $ticket } закрыто.
    Спасибо! Нажмите «Живая поддержка», если понадобимся снова.
chat-auto-closed =
    💤 Разговор (обращение { $ticket }) закрыт: { $silence } без сообщений.
    Напишите сюда в течение { $window }, чтобы продолжить, или нажмите «Живая поддержка» в любое время.
auto-close-warning = ⏳ Разговор (обращение { $ticket }) закроется через { $left }, если не будет новых сообщений. Напишите сюда, чтобы он остался открытым.
ticket-reopened = 🔄 С возвращением! Разговор { $ticket } снова открыт, ваше сообщение передано.
rate-ask = Как мы справились с { $ticket }? Оцените разговор от 1 (плохо) до 5 (отлично).
rate-button = { $score } ⭐
rate-thanks = 🙏 Спасибо за оценку { $score }/5. Хотите рассказать подробнее?
button-rate-comment = ✍️ Добавить комментарий
rate-comment-ask = ✍️ Напишите комментарий одним сообщением в течение { $minutes } минут. Команда увидит его без вашего имени.
rate-comment-thanks = 🙏 Спасибо, ваш комментарий передан.
rate-already = Вы уже оценили этот разговор. Спасибо!
rate-still-open = Разговор снова открыт: оценить его можно после закрытия.
rate-comment-closed = Нет оценки, ожидающей комментария.
chat-closed-by-support =
    ✅ Поддержка завершила разговор (обращение { $ticket }).
    Если нужно что-то ещё, нажмите «Живая поддержка», чтобы начать заново.
tickets-none = У вас пока нет обращений в поддержку.
tickets-header = 🗂 Ваши обращения (сначала новые). Нажмите на любое, чтобы прочитать переписку.
tickets-line = • { $ticket } — { $status } — открыто { $opened } UTC
status-new = ждёт ответа
status-open = открыто
status-closed = закрыто
notice-unknown-ticket = Такое обращение не найдено.
notice-stale-button = Эта кнопка больше не действует.
notice-button-expired = Срок действия этой кнопки истёк. Воспользуйтесь командой или запросите новое сообщение.
transcript-header = 📄 Переписка по обращению { $ticket }
transcript-you = [{ $time }] Вы: { $text }
transcript-support = [{ $time }] Поддержка: { $text }
transcript-empty = (сообщений нет)
media-kind = { $kind ->
    [photo] [фото]
    [video] [видео]
    [audio] [аудио]
    [document] [файл]
    [voice] [голосовое сообщение]
    [video_note] [видеосообщение]
    [animation] [GIF]
    [sticker] [стикер]
    [location] [геопозиция]
    [venue] [место]
    [contact] [карточка контакта, не передаётся]
   *[other] [{ $kind }]
}
plain = { $text }
error-try-again = ⚠️ У нас что-то пошло не так, и последнее действие не выполнено. Пожалуйста, попробуйте ещё раз чуть позже.

## Desk: the agents' supergroup
desk-not-an-agent = ⛔ Отвечать клиентам могут только агенты поддержки. Ваше сообщение никому не отправлено. (Администраторы: ответьте /remove_member на сообщение, чтобы убрать его автора из группы.)
desk-admins-only = ⛔ Это могут только администраторы.
desk-remove-member-usage = Ответьте /remove_member на сообщение человека, которого нужно убрать из групп поддержки.
desk-remove-member-agent = Это агент или администратор: агентов убирает администратор командой /remove_agent Agent-N в личном чате с ботом.
desk-removal-refused = ⚠️ Человека, выбывшего из команды, не удалось убрать из этих групп: { $groups }. Уберите его там вручную (боту нужно право блокировать участников).
desk-member-removed = 🚪 Убран из групп поддержки. Позже его можно пригласить снова.
desk-use-in-topic = Эта команда работает внутри темы обращения.
desk-ticket-closed = 🔒 Обращение { $ticket } закрыто; клиент не получит сообщений из этой темы.
desk-kind-not-relayed = ⚠️ Такое ({ $kind }) нельзя отправить клиенту (это может раскрыть вас, или чат клиента не сможет это показать). Ничего не отправлено.
desk-note-empty = Напишите заметку после команды: /note <текст>
desk-note-saved = 📝 Внутренняя заметка сохранена. Клиент её не видит.
desk-closed = ✅ Обращение закрыто. Клиенту сообщили.
desk-client-ended = 👋 Клиент завершил чат. Обращение закрыто.
desk-client-unreachable = 🚫 Клиент недоступен (заблокировал бота или ушёл из Telegram). Сообщения ему не доставляются.
desk-wrong-chat = Эта команда для клиентов в личном чате с ботом. Клиенту ничего не отправлено.
desk-unknown-command = ⚠️ Неизвестная команда; клиенту ничего не отправлено. В теме обращения: /note <текст> (внутренняя), /close, /private. Обычное сообщение уходит клиенту.
desk-anonymous = ⚠️ Сообщения от имени группы («Анонимность») нельзя отправить клиенту: нельзя проверить, что пишет агент. Отключите анонимность в правах администратора и напишите снова.
desk-private-wrong-chat = Команды поддержки (/close, /note) работают внутри темы обращения в группе поддержки.
client-contact-withheld = 🔒 Клиент поделился карточкой контакта. Она не показывается, чтобы клиент остался анонимным.
notice-closed = Обращение { $ticket } закрыто.
card-unassigned = пока никто
card =
    🎫 { $ticket }
    Клиент: { $client }
    Статус: { $status }
    Приоритет: { $priority } · Уровень: { $level } · Категория: { $category }
    Открыто: { $opened } (ждёт { $waiting } мин)
    Назначено: { $assigned }
    Прежних обращений клиента: { $earlier }

## Bot commands menu
command-start = Главное меню
command-support = Связаться с поддержкой
command-end = Завершить чат с поддержкой
command-tickets = Ваши обращения
command-help = Помощь
command-online = В сети: получать обращения
command-away = Отошёл: обращения остаются, новых нет
command-offline = Не в сети
command-mine = Ваши открытые обращения
command-queue = Очередь
command-stats = Ваши показатели
command-agents = Команда
command-invite_agent = Пригласить агента
command-report = Отчёты и показатели
command-ban = Заблокировать клиента тикета
command-unban = Снять блокировку
command-remove_agent = Убрать агента
command-canned_list = Готовые ответы
command-note = Внутренняя заметка
command-close = Закрыть обращение
command-take = Взять обращение
command-transfer = Передать обращение
command-escalate = Поднять на уровень выше
command-priority = Изменить приоритет
command-canned = Отправить готовый ответ
command-private = Вести обращение в личном чате
command-reschedule = Предложить другое время
command-cancel_booking = Предложить отменить запись

## Help, by who asks
help-client =
    ℹ️ Живая поддержка соединяет вас с сотрудником нашей команды.
    /support — начать разговор (или кнопка «Живая поддержка»)
    /end — завершить его
    /tickets — ваши прежние обращения и переписка по ним
    /forget_me — стереть ваши переписки с нами
help-agent =
    ℹ️ Для агентов, здесь: /online, /away, /offline — ваша доступность; /mine — ваши открытые обращения; /queue — очередь; /stats — ваши показатели.
    В теме обращения обычное сообщение уходит клиенту; /note <текст> остаётся внутри; /close, /take, /transfer, /escalate, /priority, /canned, /private; /reschedule и /cancel_booking, если обращение о записи.
help-admin =
    ℹ️ Для администраторов, здесь: /invite_agent <L1|L2|L3>, /agents, /agent_level, /agent_capacity, /remove_agent, /ban SUPP-… [30m|12h|7d] [причина], /unban SUPP-…, /allow SUPP-… tickets|messages <число|default>, /canned_set, /canned_delete, /canned_list. В группе поддержки: ответьте /remove_member на сообщение, чтобы убрать автора.
help-desk =
    ℹ️ В теме обращения обычное сообщение уходит клиенту; /note <текст> остаётся внутри; /close, /take, /transfer Agent-N или queue, /escalate [причина], /priority <уровень>, /canned, /private; /reschedule и /cancel_booking — для записей.

## Routing and the queue
agent-joined = 👋 К разговору подключился сотрудник поддержки, он ответит вам здесь.
queue-position = ⏳ Сейчас все сотрудники заняты. Вы { $position }-й в очереди; мы сообщим, как только кто-то подключится. Можете писать дальше: ничего не потеряется.
desk-assigned = 📌 Назначено: { $agent } ({ $reason }).
desk-not-yours = 🔒 Это обращение ведёт { $owner }. Отвечать и менять его могут только владелец, агент уровнем выше или администратор. /take — забрать себе, /note — оставить заметку.
desk-take-level = ⛔ Этому обращению нужен уровень { $level } или выше.
desk-take-already = Это обращение уже ваше.
desk-take-full = ⛔ У вас уже предельное число обращений ({ $capacity }). Сначала закройте или передайте одно.
desk-transfer-usage = /transfer Agent-7 — передать обращение, /transfer queue — вернуть в очередь.
desk-transfer-unknown = ⚠️ Агента { $alias } нет. /transfer Agent-7 или /transfer queue.
desk-transfer-level = ⛔ { $alias } не может его взять: нужен уровень { $level } или выше.
desk-transfer-full = ⛔ У { $alias } предельное число обращений.
desk-back-to-queue = ↩️ Снова в очереди; его получит первый свободный агент.
desk-sla-warning = ⏱ { $owner }: срок { $clock ->
        [first_response] первого ответа
        [next_response] следующего ответа
       *[resolution] решения
    } по этому обращению ({ $target }, { $priority }) истекает через { $left }.
desk-sla-warning-unowned = ⏱ Обращение ещё никто не взял: срок { $clock ->
        [first_response] первого ответа
        [next_response] следующего ответа
       *[resolution] решения
    } ({ $target }, { $priority }) истекает через { $left }. Взять: /take
desk-sla-breached = ⏰ Срок { $clock ->
        [first_response] первого ответа
        [next_response] следующего ответа
       *[resolution] решения
    } по этому обращению ({ $target }, { $priority }) пропущен.
desk-sla-escalation-reason = пропущен срок первого ответа ({ $target })
admin-sla-top = 🚨 Обращение { $ticket } на уровне L3 пропустило срок первого ответа ({ $target }, { $priority }). Выше поднимать некуда: посмотрите его, пожалуйста.
desk-auto-closed = 💤 Закрыто автоматически: { $silence } без сообщений. Клиенту сказано, как вернуться.
desk-auto-closed-private = 💤 Обращение { $ticket } закрыто автоматически: { $silence } без сообщений.
desk-reopened = 🔄 Клиент вернулся: обращение снова открыто.
desk-rated = { $stars } Клиент оценил разговор на { $score }/5.
desk-rating-comment = 💬 Комментарий клиента к оценке: { $comment }
desk-escalate-top = ⛔ У обращения уже высший уровень (L3).
desk-escalate-no-reason = причина не указана
desk-escalated = ⬆️ Поднято до { $level }, кто: { $by }: { $reason }
desk-priority-usage = /priority low, /priority normal, /priority high или /priority urgent.
desk-priority-set = 🚦 Приоритет теперь { $priority }.
escalation-brief =
    ⬆️ Обращение { $ticket } передано вам ({ $level }).
    Причина: { $reason }
    История:
history-from_client = Клиент
history-from_agent = Агент
history-note = Заметка

## Agents and admins, private chat
admin-only = ⛔ Это могут только администраторы.
agents-only = ⛔ Это могут только агенты поддержки. Администратор может пригласить вас командой /invite_agent.
invite-usage = /invite_agent L1, /invite_agent L2 или /invite_agent L3.
invite-created =
    🔗 Ссылка-приглашение для агента уровня { $level } (одноразовая, действует { $hours } ч):
    { $link }
    Отправьте её новому агенту; открыв её, он станет агентом.
invite-invalid = ⛔ Ссылка недействительна: ею уже воспользовались или срок истёк. Попросите у администратора новую.
invite-accepted =
    🎉 Теперь вы агент поддержки ({ $level }); в команде вас знают как { $alias }.
    Вступите в группу поддержки и отправьте /online, чтобы получать обращения.
    В теме обращения /private переносит разговор в этот чат (/back возвращает его).
status-now-online = 🟢 Вы в сети как { $alias } (обращений: { $load }/{ $capacity }). Новые обращения будут приходить вам{ $assigned ->
    [0] .
   *[other] ; только что назначено: { $assigned }.
}
status-now-away = 🟡 Вы отошли: ваши { $load } обращения остаются за вами, новых не будет.
status-now-offline = ⚫ Вы не в сети. Ваши открытые обращения ({ $load }) вернутся в очередь, если вы скоро не вернётесь.
agents-header = 👥 Агенты ({ $count }):
agents-line = • { $alias } — { $level } — { $status } — { $load }/{ $capacity }
agent-unknown = ⚠️ Агента { $alias } нет. Смотрите /agents.
agent-level-usage = /agent_level Agent-7 L2.
agent-capacity-usage = /agent_capacity Agent-7 8 (от 1 до 50).
agent-changed = ✅ { $alias }: теперь уровень { $level }, не больше { $capacity } обращений.
agent-removed = ✅ { $alias } больше не агент; открытые обращения вернулись в очередь (переназначено: { $requeued }), и он убран из групп поддержки (позже его можно пригласить снова).
agent-is-hosts = { $alias } — агент поддержки по записям самого бота, а их Veil не меняет: снимите роль там, и он перестанет отвечать на обращения.
mine-none = У вас нет открытых обращений.
mine-header = 📂 Ваши открытые обращения ({ $count }):
mine-line = • { $ticket } — { $priority } — { $level } — тишина { $waiting } мин { $link }
queue-none = Очередь пуста.
queue-header = ⏳ Ждут ответа ({ $count }):
queue-line = { $position }. { $ticket } — { $priority } — { $level } — ждёт { $waiting } мин
stats =
    📊 Ваши показатели, { $alias } ({ $period }):
    { $body }
    Открыто сейчас: { $open }
report-usage = /report, /report today, /report week, /report month, /report 2026-12-01 или /report 2026-12-01..2026-12-07.
report-coming = 📈 Отчёт за { $period } готовится.
report-header = 📈 Отчёт, { $period }: открыто обращений { $opened }, закрыто { $closed }; сейчас открыто { $open }, ждут агента { $waiting }.
report-daily = 🗓 Сводка за день, { $period }: открыто обращений { $opened }, закрыто { $closed }; сейчас открыто { $open }, ждут агента { $waiting }.
report-levels = SLA первого ответа по уровням: лучший { $best }, худший { $worst }.
stats-usage = /stats, /stats today, /stats week, /stats month, /stats 2026-12-01 или /stats 2026-12-01..2026-12-07.
stats-desk = 📊 Поддержка, { $period }: открыто обращений: { $opened }
stats-level = — Уровень { $level } —
stats-agent = • { $alias }: первый ответ { $fr_median }, SLA { $sla_fr }, закрыто { $closed }, CSAT { $csat }
figures =
    Первый ответ: медиана { $fr_median }, p90 { $fr_p90 } (ответов: { $fr_count })
    Следующий ответ: медиана { $nr_median }, p90 { $nr_p90 }
    Решение: медиана { $res_median }, p90 { $res_p90 }
    SLA выполнен: первый ответ { $sla_fr }, следующий ответ { $sla_nr }, решение { $sla_res }
    Закрыто: { $closed } (агентом { $resolved }, автоматически { $auto_closed }, клиентом { $abandoned }), открыто повторно { $reopened }
    CSAT: { $csat } (средняя { $average }, оценок: { $ratings }, доля ответивших { $response })

## Canned answers
canned-usage =
    Готовые ответы:
    /canned_set <имя> <текст> — создать или изменить ({"{"}ticket{"}"} — номер обращения)
    /canned_delete <имя>
    /canned_list
canned-saved = ✅ Готовый ответ «{ $name }» сохранён.
canned-deleted = 🗑 Готовый ответ «{ $name }» удалён.
canned-none = Готовых ответов пока нет. /canned_set <имя> <текст> добавляет ответ.
canned-list =
    📚 Готовые ответы:
    { $lines }
canned-none-desk = Готовых ответов пока нет; администратор может добавить их командой /canned_set.
canned-pick = 📚 Выберите ответ, который отправить клиенту:
canned-sent = 📤 Клиенту отправлено «{ $name }»: { $text }
canned-sent-notice = Отправлено «{ $name }».

## Watching the desk
desk-owner-offline = ⚫ { $agent } слишком долго не в сети; обращение вернулось в очередь.
desk-agent-lapsed = 🚪 У { $alias } больше нет права отвечать на обращения (изменились записи самого бота): его обращения вернулись в очередь, и он убран из групп поддержки.
desk-queue-alert = 🚨 { $late } из { $count } обращений в очереди ждут дольше нормы (дольше всех: { $minutes } мин). Кто может — /online.
away-ping = 🚨 Очереди нужна помощь: { $late } обращений ждут слишком долго (дольше всех { $minutes } мин). Отправьте /online, если можете взять часть.
join-desk-first = ⚠️ Вы ещё не участник группы поддержки и не видите её темы. Попросите администратора добавить вас и снова отправьте /online. Пока вы не в сети.

# An edit of a client's text that went out bundled with others follows as a reply.
edited-part = ✏️ Изменено:

# Working a ticket from the agent's private chat with the bot (/private, /back).
private-started = 🔒 Теперь вы ведёте { $client } здесь. Его сообщения приходят в этот чат; то, что вы пишете здесь, уходит ему. /note <текст> — заметка, /close — закрыть обращение, /back — вернуть его в тему.
private-already = Вы уже ведёте { $client } здесь.
private-ended = ↩️ { $client } снова в своей теме; его сообщения идут туда.
private-none = Здесь вы не ведёте ни одного обращения. В теме обращения /private переносит его в этот чат.
private-unknown-command = ⚠️ Неизвестная команда; клиенту ничего не отправлено. Здесь: /note <текст> (внутренняя), /close, /back. Обычное сообщение уходит клиенту.
private-taken-away = ↩️ { $client } больше не ваш (передан, поднят на уровень выше или вернулся в очередь); этот чат снова ваш, и то, что вы здесь пишете, до него не дойдёт.
private-lost = ⛔ { $client } больше не ваш; обращение вернулось в свою тему. Ничего не отправлено.
desk-private-started = 🔒 { $agent } ведёт это обращение из личного чата; сообщения клиента идут туда до /back. Переписка сохраняется в обращении.
desk-private-ended = ↩️ Это обращение снова ведётся здесь, в теме.
undeliverable-to-desk = ⚠️ Сообщение клиента ({ $kind }) не удалось доставить сюда: Telegram его отклонил ({ $error }). Оно сохранено в обращении.
undeliverable-answer = ⚠️ Ответ ({ $kind }) не удалось доставить клиенту: Telegram его отклонил ({ $error }). Отправьте его ещё раз в другом виде.
undeliverable-to-client = ⚠️ Сообщение поддержки ({ $kind }) не удалось доставить: Telegram его отклонил ({ $error }).
why-right-gone = он больше не агент, которому можно на него отвечать, или его чат не принимает бота
desk-private-revoked = ↩️ Это обращение снова ведётся здесь, в теме: агент, который вёл его в личном чате, больше не может этого делать ({ $why }).
desk-closed-private = ✅ Обращение { $ticket } закрыто; клиенту сообщили.

# What a ticket is about: the host's appointment, as the host describes it.
card-escalated = ⬆️ Поднято: { $reason }
card-follows = ↩️ Продолжение { $ticket } (тот же клиент)
card-about = 📅 О записи: { $service } · { $when } · специалист { $provider } · { $status }
desk-now-about = 📅 Теперь клиент спрашивает о записи: { $service }.
desk-no-appointment = Это обращение не связано с записью: переносить или отменять нечего.
desk-no-slots = Сейчас нет свободного времени, чтобы предложить его для этой записи.
desk-host-failed = ⚠️ Система записи не ответила; ничего не предложено. Попробуйте чуть позже.
desk-pick-slot = 🗓 Выберите время, которое предложить клиенту для записи «{ $service }»:
desk-not-yours-to-offer = Делать предложения по обращению может только тот, кто может на него отвечать.
notice-offer-sent = Предложено клиенту.
notice-offer-gone = Это предложение больше не действует.
desk-offer-sent = 📨 Предложено клиенту: { $what }. Ждём ответа.
desk-offer-declined = ✖️ Клиент отказался: { $what }.
desk-offer-accepted = ✅ Клиент согласился: { $what }. Система записи выполняет.
desk-offer-done = ✅ Готово: { $result }
desk-offer-failed = ⚠️ Не получилось: { $result }
offer-what-reschedule = перенести запись на { $slot }
offer-what-cancel = отменить запись
offer-impossible = обращения или его записи больше нет
offer-host-failed = система записи не ответила
offer-reschedule =
    🗓 Поддержка предлагает перенести вашу запись «{ $service }» ({ $when }) на { $slot }.
    Переносим?
offer-cancel =
    🗓 Поддержка предлагает отменить вашу запись «{ $service }» ({ $when }).
    Отменяем?
button-offer-yes = ✅ Да, пожалуйста
button-offer-no = ✖️ Нет, спасибо
notice-offer-accepted = Делаем.
notice-offer-declined = Хорошо, всё остаётся как было.
offer-done = ✅ Готово: { $result }
offer-failed = ⚠️ Не получилось: { $result }. Поддержка в курсе.

## Limits and bans
limit-tickets_per_day =
    ⏳ За последние 24 часа вы начали { $count } { $count ->
        [one] обращение
        [few] обращения
       *[other] обращений
    } — это максимум. Новое можно начать через { $hours ->
        [0] { $minutes } мин.
       *[other] { $hours } ч.
    }
limit-messages_per_hour =
    ⏳ За последний час вы отправили { $count } сообщений — это максимум: то, что вы отправляете сейчас, не доходит до поддержки. Писать снова можно через { $hours ->
        [0] { $minutes } мин.
       *[other] { $hours } ч.
    }
banned = 🚫 К сожалению, поддержка сейчас для вас недоступна.
slow-down = ⏳ Слишком много команд или кнопок подряд (не больше { $count } в минуту): подождите немного и попробуйте снова.
ban-usage = Использование: /ban SUPP-… [30m | 12h | 7d] [причина]. Без срока блокировка действует до /unban.
ban-bad-duration = Срок — число и единица: 30m, 12h, 7d или 2w (не больше 10 лет).
ban-unknown-ticket = Тикета { $ticket } нет.
ban-done = 🚫 Клиент тикета { $ticket } заблокирован на { $minutes } мин. Его сообщения не доходят до поддержки.
ban-done-forever = 🚫 Клиент тикета { $ticket } заблокирован до /unban { $ticket }. Его сообщения не доходят до поддержки.
unban-usage = Использование: /unban SUPP-…
unban-done = ✅ Клиент тикета { $ticket } снова может обращаться в поддержку.
unban-not-banned = Клиент тикета { $ticket } не заблокирован.
desk-client-banned = 🚫 Администратор заблокировал этого клиента; тикет закрыт.
allow-usage = Использование: /allow SUPP-… tickets|messages <число|default>: сколько тикетов в день или сообщений в час может отправлять клиент этого тикета.
allow-done-tickets_per_day = ✅ Клиент тикета { $ticket } теперь может открывать { $count } тикетов в день.
allow-done-messages_per_hour = ✅ Клиент тикета { $ticket } теперь может отправлять { $count } сообщений в час.

## Privacy
masked-phone = [номер телефона скрыт]
masked-email = [адрес e-mail скрыт]
masked-card = [номер карты скрыт]
client-text-invisible = [сообщение только из невидимых символов]
masked-told = 🔒 Для вашей безопасности номера телефонов, адреса e-mail и номера карт, которые вы пишете, скрыты от поддержки. Опишите вопрос без них: номер карты нам никогда не нужен.
forget-ask =
    🗑 /forget_me стирает всё, что вы писали в поддержку и что поддержка писала вам, во всех ваших обращениях, и связь этих обращений с вами. Отменить это нельзя. Открытый разговор завершится.
button-forget-me = Стереть мои переписки
forget-done = 🗑 Готово: обращений стёрто — { $tickets }. Пишите нам в любое время, чтобы начать заново.
forget-banned = Поддержка сейчас для вас недоступна, поэтому и это тоже.
forget-staff = Агенты и администраторы не могут стереть себя здесь: администратор может убрать вас из команды (/remove_agent).
