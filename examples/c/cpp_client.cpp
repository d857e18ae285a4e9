// cpp_client: the C API from C++17. Thin RAII wrappers own the handles
// (std::unique_ptr with deleters that call ly_*_destroy) and turn error
// codes into exceptions. One process runs a server and a client over UDP
// loopback: the backend makes a token, the client connects, sends a few
// payloads, checks the echoes and disconnects. Exits 0 on success.
#include <lightyear_conn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ly {

// An error code from the library, with its description and the detail of
// ly_last_error() captured at the moment of the failure.
class Error : public std::runtime_error {
public:
    Error(int code, const std::string &call)
        : std::runtime_error(call + ": " + ly_error_string(code) + detail()), code_(code) {}
    int code() const noexcept { return code_; }

private:
    static std::string detail() {
        std::string d = ly_last_error();
        return d.empty() ? d : " (" + d + ")";
    }
    int code_;
};

inline int check(int rc, const char *call) {
    if (rc < 0)
        throw Error(rc, call);
    return rc;
}

// Destroy can only fail for an invalid handle, which unique_ptr never
// holds; a destructor must not throw anyway.
struct ServerDeleter {
    void operator()(ly_server *s) const noexcept { ly_server_destroy(s); }
};
struct ClientDeleter {
    void operator()(ly_client *c) const noexcept { ly_client_destroy(c); }
};

using Bytes = std::vector<uint8_t>;

inline std::string_view as_text(const Bytes &b) {
    return {reinterpret_cast<const char *>(b.data()), b.size()};
}

struct Key {
    uint8_t bytes[LY_KEY_SIZE];
    static Key generate() {
        Key k{};
        check(ly_key_generate(k.bytes), "ly_key_generate");
        return k;
    }
};

inline Bytes make_token(const Key &key, uint64_t protocol_id, uint64_t client_id, const std::string &address,
                        std::string_view user_data) {
    ly_token_params p;
    ly_token_params_defaults(&p);
    p.protocol_id = protocol_id;
    p.client_id = client_id;
    p.private_key = key.bytes;
    p.public_addresses = address.c_str();
    p.user_data = reinterpret_cast<const uint8_t *>(user_data.data());
    p.user_data_size = static_cast<uint32_t>(user_data.size());
    Bytes token(LY_CONNECT_TOKEN_SIZE);
    check(ly_token_generate(&p, token.data(), static_cast<uint32_t>(token.size())), "ly_token_generate");
    return token;
}

class Server {
public:
    Server(const Key &key, uint64_t protocol_id, const std::string &bind) {
        ly_server_config c;
        ly_server_config_defaults(&c);
        c.protocol_id = protocol_id;
        std::copy(std::begin(key.bytes), std::end(key.bytes), c.private_key);
        c.bind_addresses = bind.c_str(); // copied by ly_server_create
        ly_server *raw = nullptr;
        check(ly_server_create(&c, &raw), "ly_server_create");
        handle_.reset(raw);
    }

    void start() { check(ly_server_start(get()), "ly_server_start"); }
    void update(double dt) { check(ly_server_update(get(), dt), "ly_server_update"); }

    std::string address(uint32_t index = 0) {
        char buf[LY_ADDRESS_STRING_SIZE];
        check(ly_server_address(get(), index, buf, sizeof buf), "ly_server_address");
        return buf;
    }

    void send(ly_client_id to, const uint8_t *data, uint32_t size) {
        check(ly_server_send(get(), to, data, size), "ly_server_send");
    }

    Bytes user_data(ly_client_id id) {
        Bytes b(LY_USER_DATA_SIZE);
        check(ly_server_client_user_data(get(), id, b.data()), "ly_server_client_user_data");
        return b;
    }

    // Calls on_event(event, payload bytes) for every pending event.
    template <typename F> void poll(F &&on_event) {
        ly_event events[32];
        static thread_local uint8_t buf[32 * LY_MAX_PAYLOAD_SIZE];
        int n;
        while ((n = check(ly_server_poll_batch(get(), events, 32, buf, sizeof buf), "ly_server_poll_batch")) > 0)
            for (int i = 0; i < n; i++)
                on_event(events[i], buf + events[i].payload_offset);
    }

private:
    ly_server *get() const noexcept { return handle_.get(); }
    std::unique_ptr<ly_server, ServerDeleter> handle_;
};

class Client {
public:
    explicit Client(const Bytes &token) {
        ly_client *raw = nullptr;
        check(ly_client_create(token.data(), static_cast<uint32_t>(token.size()), nullptr, &raw), "ly_client_create");
        handle_.reset(raw);
    }

    void connect() { check(ly_client_connect(get()), "ly_client_connect"); }
    void update(double dt) { check(ly_client_update(get(), dt), "ly_client_update"); }
    void disconnect() { check(ly_client_disconnect(get()), "ly_client_disconnect"); }

    int state() const {
        int s = 0;
        check(ly_client_get_state(get(), &s), "ly_client_get_state");
        return s;
    }

    void send(std::string_view data) {
        check(ly_client_send(get(), reinterpret_cast<const uint8_t *>(data.data()), static_cast<uint32_t>(data.size())),
              "ly_client_send");
    }

    std::optional<Bytes> receive() {
        Bytes b(LY_MAX_PAYLOAD_SIZE); // always large enough
        int n = check(ly_client_receive(get(), b.data(), static_cast<uint32_t>(b.size()), nullptr), "ly_client_receive");
        if (n == 0)
            return std::nullopt;
        b.resize(static_cast<size_t>(n));
        return b;
    }

private:
    ly_client *get() const noexcept { return handle_.get(); }
    std::unique_ptr<ly_client, ClientDeleter> handle_;
};

} // namespace ly

namespace {

constexpr uint64_t kProtocol = 0x6c795f6370700000; // "ly_cpp"
constexpr uint64_t kClientId = 99;
constexpr std::string_view kUserData = "player=cpp_client";
constexpr int kPayloads = 5;

// Runs both sides at 60 Hz until done() or the deadline.
template <typename Tick, typename Done> void run_until(Tick &&tick, Done &&done, const char *what) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(10);
    auto last = clock::now();
    while (!done()) {
        if (clock::now() > deadline)
            throw std::runtime_error(std::string("timed out waiting for ") + what);
        std::this_thread::sleep_for(std::chrono::milliseconds(16));
        const auto now = clock::now();
        tick(std::chrono::duration<double>(now - last).count());
        last = now;
    }
}

int run() {
    const ly::Key key = ly::Key::generate();
    ly::Server server(key, kProtocol, "127.0.0.1:0"); // port 0: the OS picks
    server.start();
    const std::string address = server.address();
    std::printf("server on %s\n", address.c_str());

    ly::Client client(ly::make_token(key, kProtocol, kClientId, address, kUserData));
    client.connect();

    std::vector<std::string> echoes;
    bool connected = false, disconnected = false;
    auto tick = [&](double dt) {
        client.update(dt);
        server.update(dt);
        server.poll([&](const ly_event &ev, const uint8_t *payload) {
            switch (ev.type) {
            case LY_EVENT_CONNECTED: {
                const ly::Bytes ud = server.user_data(ev.client);
                if (ly::as_text(ud).substr(0, kUserData.size()) != kUserData)
                    throw std::runtime_error("user data did not arrive");
                std::printf("server: client %llu connected\n", static_cast<unsigned long long>(ev.client.id));
                connected = true;
                break;
            }
            case LY_EVENT_PAYLOAD:
                server.send(ev.client, payload, ev.payload_size);
                break;
            case LY_EVENT_DISCONNECTED:
                std::printf("server: client %llu disconnected (%s)\n", static_cast<unsigned long long>(ev.client.id),
                            ly_reason_string(static_cast<int>(ev.reason)));
                disconnected = true;
                break;
            default:
                break;
            }
        });
        while (auto p = client.receive())
            echoes.emplace_back(ly::as_text(*p));
    };

    run_until(tick, [&] { return connected && client.state() == LY_STATE_CONNECTED; }, "the connection");
    std::printf("client: %s\n", ly_state_string(client.state()));

    std::vector<std::string> sent;
    for (int i = 0; i < kPayloads; i++) {
        sent.push_back("hello #" + std::to_string(i));
        client.send(sent.back());
    }
    run_until(tick, [&] { return echoes.size() >= sent.size(); }, "the echoes");
    // Payloads are unreliable and unordered: compare as sets.
    std::sort(echoes.begin(), echoes.end());
    std::sort(sent.begin(), sent.end());
    if (echoes != sent)
        throw std::runtime_error("echoes differ from what was sent");
    std::printf("client: %zu echoes match\n", echoes.size());

    client.disconnect();
    run_until(tick, [&] { return disconnected; }, "the server to see the disconnect");
    return 0;
}

} // namespace

int main() {
    int status = 1;
    try {
        status = run(); // the wrappers are destroyed before ly_shutdown
    } catch (const std::exception &e) {
        std::fprintf(stderr, "cpp_client: %s\n", e.what());
    }
    ly_shutdown();
    return status;
}
