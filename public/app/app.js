// A small browser client for the chat-socket (004) API: form login, the
// conversation list, history, live messages and typing over Socket.IO.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { token: null, user: null, socket: null, conversations: [], current: null, typingTimer: null };

  async function api(method, path, { body, form } = {}) {
    const headers = {};
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    let payload;
    if (form) payload = new URLSearchParams(form);
    else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${path}${path.includes("?") ? "&" : "?"}dialect=chat-socket`, { method, headers, body: payload });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error(data?.detail || data?.message || `HTTP ${res.status}`);
    return data;
  }

  const timeOf = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const otherParticipants = (c) => c.participants.filter((p) => p !== state.user.email).join(", ") || state.user.email;

  function renderConversations() {
    const list = $("conversations");
    list.replaceChildren(
      ...state.conversations.map((c) => {
        const li = document.createElement("li");
        li.dataset.id = c.conversation_id;
        li.className = c.conversation_id === state.current?.conversation_id ? "active" : "";
        const label = document.createElement("span");
        label.textContent = otherParticipants(c);
        const preview = document.createElement("span");
        preview.className = "preview";
        preview.textContent = c.last_message ?? "";
        label.append(preview);
        li.append(label);
        if (c.unread_count > 0 && c.conversation_id !== state.current?.conversation_id) {
          const badge = document.createElement("span");
          badge.className = "unread";
          badge.textContent = String(c.unread_count);
          li.append(badge);
        }
        li.addEventListener("click", () => openConversation(c));
        return li;
      }),
    );
  }

  function appendMessage(m) {
    if (document.querySelector(`#messages li[data-id="${m.id}"]`)) return;
    const li = document.createElement("li");
    li.dataset.id = m.id;
    if (m.sender_email === state.user.email) li.className = "mine";
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = `${m.sender_name} · ${timeOf(m.timestamp)}`;
    li.append(document.createTextNode(m.message), meta);
    $("messages").append(li);
    li.scrollIntoView({ block: "end" });
  }

  async function loadConversations() {
    state.conversations = await api("GET", "/api/conversations");
    renderConversations();
  }

  async function openConversation(c) {
    state.current = c;
    $("conversation").hidden = false;
    $("conversation-title").textContent = otherParticipants(c);
    $("typing").textContent = "";
    $("messages").replaceChildren();
    const messages = await api("GET", `/api/conversations/${c.conversation_id}/messages?skip=0&limit=50`);
    messages.forEach(appendMessage);
    state.socket?.emit("join_conversation", { conversation_id: c.conversation_id });
    await api("POST", `/api/conversations/${c.conversation_id}/mark-read`);
    c.unread_count = 0;
    renderConversations();
    $("send-form").elements.message.focus();
  }

  function connectSocket() {
    const socket = io({ auth: { token: state.token }, query: { dialect: "chat-socket" } });
    state.socket = socket;
    socket.on("connect", () => {
      $("connection").textContent = "online";
      $("connection").className = "badge online";
      if (state.current) socket.emit("join_conversation", { conversation_id: state.current.conversation_id });
    });
    socket.on("disconnect", () => {
      $("connection").textContent = "offline";
      $("connection").className = "badge";
    });
    socket.on("connect_error", (err) => {
      $("connection").textContent = err.message;
    });
    socket.on("new_message", async (m) => {
      let c = state.conversations.find((x) => x.conversation_id === m.conversation_id);
      if (!c) {
        await loadConversations();
        c = state.conversations.find((x) => x.conversation_id === m.conversation_id);
      }
      if (c) {
        c.last_message = m.message;
        c.last_message_time = m.timestamp;
        if (state.current?.conversation_id === m.conversation_id) {
          appendMessage(m);
          if (m.sender_email !== state.user.email) socket.emit("mark_as_read", { conversation_id: m.conversation_id });
        } else if (m.sender_email !== state.user.email) {
          c.unread_count = (c.unread_count ?? 0) + 1;
        }
        state.conversations.sort((a, b) => String(b.last_message_time ?? "").localeCompare(String(a.last_message_time ?? "")));
        renderConversations();
      }
    });
    socket.on("user_typing", (t) => {
      if (t.conversation_id !== state.current?.conversation_id || t.user_email === state.user.email) return;
      $("typing").textContent = t.typing ? `${t.user_email} is typing…` : "";
    });
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const form = { email: f.email.value };
    if (f.name.value) form.name = f.name.value;
    if (f.password.value) form.password = f.password.value;
    try {
      const res = await api("POST", "/api/auth/login", { form });
      state.token = res.access_token;
      state.user = res.user;
      sessionStorage.setItem("chat-session", JSON.stringify({ token: state.token, user: state.user }));
      await start();
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  });

  $("start-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("start-error").textContent = "";
    try {
      const started = await api("POST", "/api/conversations/start", { form: { to_email: e.target.elements.to_email.value } });
      e.target.reset();
      await loadConversations();
      const c = state.conversations.find((x) => x.conversation_id === started.conversation_id) ?? {
        ...started,
        last_message: null,
        unread_count: 0,
      };
      await openConversation(c);
    } catch (err) {
      $("start-error").textContent = err.message;
    }
  });

  $("send-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = e.target.elements.message;
    const text = input.value.trim();
    if (!text || !state.current) return;
    const to = state.current.participants.find((p) => p !== state.user.email) ?? state.user.email;
    state.socket.emit("send_message", { to_email: to, message: text, message_type: "text" }, (reply) => {
      if (reply && reply.success === false) $("typing").textContent = reply.message;
    });
    state.socket.emit("typing_stop", { conversation_id: state.current.conversation_id });
    input.value = "";
  });

  $("send-form").elements.message.addEventListener("input", () => {
    if (!state.current || !state.socket) return;
    const id = state.current.conversation_id;
    if (!state.typingTimer) state.socket.emit("typing_start", { conversation_id: id });
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => {
      state.socket.emit("typing_stop", { conversation_id: id });
      state.typingTimer = null;
    }, 2000);
  });

  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem("chat-session");
    location.reload();
  });

  async function start() {
    $("login-view").hidden = true;
    $("chat-view").hidden = false;
    $("me-name").textContent = `${state.user.name} (${state.user.email})`;
    connectSocket();
    await loadConversations();
  }

  const saved = sessionStorage.getItem("chat-session");
  if (saved) {
    Object.assign(state, JSON.parse(saved));
    start().catch(() => {
      sessionStorage.removeItem("chat-session");
      location.reload();
    });
  }
})();
