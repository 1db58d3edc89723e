// A small browser client for the chat-socket (004) API: form login, the
// conversation list (1-on-1 and groups), history, live messages, typing and
// presence over Socket.IO, contacts with their live statuses and expiry
// (000), and one's own status with a duration.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    token: null,
    user: null,
    socket: null,
    conversations: [],
    current: null,
    typingTimer: null,
    /** emails of online users among those whose presence we may see */
    online: new Set(),
    contacts: [],
    myStatus: null,
    myStatusTimer: null,
  };

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
  const isGroup = (c) => c.type === "group";
  const titleOf = (c) => (isGroup(c) ? c.name || "Group" : otherParticipants(c));
  const statusLabel = (s) => s.replace(/_/g, " ");
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const dot = (email) => {
    const d = el("span", `dot${state.online.has(email) ? " online" : ""}`);
    d.title = state.online.has(email) ? "online" : "offline";
    d.dataset.presence = state.online.has(email) ? "online" : "offline";
    return d;
  };
  /** "busy — In a meeting" and "until 14:05" (or "" when it does not expire). */
  function describeStatus(s) {
    if (!s) return { text: "status hidden", until: "" };
    return {
      text: `${statusLabel(s.status)}${s.customStatus ? ` — ${s.customStatus}` : ""}`,
      until: s.statusUntil ? `until ${new Date(s.statusUntil).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}` : "",
    };
  }

  // ---- own status (000) ----

  function renderMyStatus() {
    const s = state.myStatus;
    const p = $("my-status-text");
    if (!s) return;
    const d = describeStatus(s);
    p.dataset.status = s.status;
    p.replaceChildren(el("span", "status", d.text), el("span", "until", d.until));
    clearTimeout(state.myStatusTimer);
    if (s.statusUntil) {
      // the server reverts it to "available" at statusUntil; read it back then
      const wait = Math.max(0, new Date(s.statusUntil).getTime() - Date.now()) + 500;
      state.myStatusTimer = setTimeout(() => loadMyStatus().catch(() => {}), wait);
    }
  }

  async function loadMyStatus() {
    state.myStatus = (await api("GET", "/api/status-management")).data;
    renderMyStatus();
  }

  // ---- contacts (000) ----

  function renderContacts() {
    $("contacts").replaceChildren(
      ...state.contacts.map((c) => {
        const li = el("li");
        li.dataset.id = c._id;
        li.dataset.email = c.email ?? "";
        const d = describeStatus(c.currentStatus);
        li.dataset.status = c.currentStatus?.status ?? "hidden";
        const name = el("span", "name", c.name);
        const status = el("span", "status", d.text);
        status.append(el("span", "until", d.until));
        li.append(dot(c.email), name, status);
        return li;
      }),
    );
  }

  async function loadContacts() {
    state.contacts = await api("GET", "/api/contacts");
    renderContacts();
  }

  /** `contacts_status_initial` entries and `contact_status_update`: `{contactId, status, customStatus, statusUntil}`. */
  function applyContactStatus(u) {
    const c = state.contacts.find((x) => x._id === u.contactId);
    if (!c) return false;
    c.currentStatus = { status: u.status, customStatus: u.customStatus, statusUntil: u.statusUntil };
    return true;
  }

  // ---- presence ----

  function renderPresence() {
    renderContacts();
    renderConversations();
    const c = state.current;
    const p = $("conversation-presence");
    if (!c) return;
    if (isGroup(c)) {
      p.textContent = `${c.participants.length} members`;
      delete p.dataset.presence;
    } else {
      const other = c.participants.find((x) => x !== state.user.email);
      const online = state.online.has(other);
      p.textContent = online ? "● online" : "offline";
      p.dataset.presence = online ? "online" : "offline";
    }
  }

  function refreshOnline() {
    state.socket?.emit("get_online_users", (reply) => {
      if (!reply || !Array.isArray(reply.users)) return;
      state.online = new Set(reply.users);
      renderPresence();
    });
  }

  function renderConversations() {
    const list = $("conversations");
    list.replaceChildren(
      ...state.conversations.map((c) => {
        const li = document.createElement("li");
        li.dataset.id = c.conversation_id;
        li.className = c.conversation_id === state.current?.conversation_id ? "active" : "";
        const label = document.createElement("span");
        label.textContent = titleOf(c);
        if (isGroup(c)) label.append(el("span", "group-tag", "group"));
        else label.prepend(dot(c.participants.find((p) => p !== state.user.email)), " ");
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
    $("conversation-title").textContent = titleOf(c);
    renderPresence();
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
      refreshOnline();
    });
    socket.on("user_online", (u) => {
      if (u.email) state.online.add(u.email);
      renderPresence();
    });
    socket.on("user_offline", (u) => {
      if (u.email) state.online.delete(u.email);
      renderPresence();
    });
    socket.on("contacts_status_initial", (list) => {
      let changed = false;
      for (const u of list) changed = applyContactStatus(u) || changed;
      if (changed) renderContacts();
    });
    socket.on("contact_status_update", (u) => {
      if (applyContactStatus(u)) renderContacts();
      else loadContacts().catch(() => {});
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
      $("typing").textContent = t.typing ? `${t.user_name || t.user_email} is typing…` : "";
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
    state.socket.emit("send_message", { conversation_id: state.current.conversation_id, message: text, message_type: "text" }, (reply) => {
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

  $("status-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("status-error").textContent = "";
    const f = e.target.elements;
    const body = { status: f.status.value };
    if (f.customStatus.value.trim()) body.customStatus = f.customStatus.value.trim();
    if (f.duration.value !== "") body.duration = Number(f.duration.value);
    try {
      state.myStatus = (await api("PUT", "/api/status-management", { body })).data;
      renderMyStatus();
    } catch (err) {
      $("status-error").textContent = err.message;
    }
  });

  $("contact-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("contact-error").textContent = "";
    try {
      await api("POST", "/api/contacts", { body: { email: e.target.elements.email.value } });
      e.target.reset();
      await loadContacts();
      refreshOnline();
    } catch (err) {
      $("contact-error").textContent = err.message;
    }
  });

  /** A user's `_id` from their exact email (004 user search). */
  async function userIdByEmail(email) {
    const found = await api("GET", `/api/users/search?query=${encodeURIComponent(email)}`);
    const u = found.find((x) => (x.email ?? "").toLowerCase() === email.toLowerCase());
    if (!u) throw new Error(`No user with the email ${email}`);
    return u._id;
  }

  $("group-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("group-error").textContent = "";
    const f = e.target.elements;
    try {
      const emails = f.members.value.split(",").map((x) => x.trim()).filter(Boolean);
      const members = await Promise.all(emails.map(userIdByEmail));
      const created = await api("POST", "/api/conversations/group", { body: { name: f.name.value.trim(), members } });
      e.target.reset();
      await loadConversations();
      const c = state.conversations.find((x) => x.conversation_id === created.data._id);
      if (c) await openConversation(c);
    } catch (err) {
      $("group-error").textContent = err.message;
    }
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
    await Promise.all([loadConversations(), loadContacts(), loadMyStatus()]);
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
