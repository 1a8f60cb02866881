#include "sandbox/protobuf.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "core/base64.h"
#include "core/error.h"
#include "doc/json.h"
#include "sandbox/proto_schema.h"

namespace gantry::sandbox {

namespace {

using doc::Value;
using proto::Field;
using proto::FieldKind;

constexpr int kMaxDepth = 64;

[[noreturn]] void malformed(const std::string& why) {
  throw Error("malformed protobuf body: " + why, ExitCode::kInvalidInput);
}

// A cursor over one message's bytes.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool done() const { return pos_ >= b_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= b_.size()) malformed("truncated varint");
      uint8_t c = static_cast<uint8_t>(b_[pos_++]);
      v |= static_cast<uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    malformed("varint longer than 10 bytes");
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (n > b_.size() - pos_) malformed("length beyond the end of the message");
    std::string_view out = b_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint64_t fixed(int n) {
    if (b_.size() - pos_ < static_cast<size_t>(n)) malformed("truncated fixed-width value");
    uint64_t v = 0;
    for (int i = 0; i < n; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(b_[pos_ + i])) << (8 * i);
    pos_ += n;
    return v;
  }
  void skip(int wire) {
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
        fixed(8);
        break;
      case 2:
        bytes();
        break;
      case 5:
        fixed(4);
        break;
      default:
        malformed("wire type " + std::to_string(wire) + " is not supported");
    }
  }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

const Field* find_field(int message, uint64_t number) {
  const proto::Message& m = proto::messages()[message];
  for (uint16_t i = 0; i < m.count; ++i) {
    const Field& f = proto::fields()[m.first + i];
    if (f.number == number) return &f;
  }
  return nullptr;
}

std::string rfc3339(int64_t seconds, int64_t nanos, bool micro) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) malformed("a time out of range");
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s = buf;
  if (micro) {
    char frac[32];
    std::snprintf(
        frac, sizeof frac, ".%06lld",
        static_cast<long long>((nanos % 1'000'000'000 + 1'000'000'000) % 1'000'000'000 / 1000));
    s += frac;
  }
  return s + "Z";
}

// Go's time.Duration.String() for whole and fractional seconds.
std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  uint64_t h = u / 3600'000'000'000ULL, rest = u % 3600'000'000'000ULL;
  uint64_t m = rest / 60'000'000'000ULL, sns = rest % 60'000'000'000ULL;
  std::string secs = std::to_string(sns / 1'000'000'000ULL);
  if (uint64_t frac = sns % 1'000'000'000ULL) {
    char f[32];
    std::snprintf(f, sizeof f, "%09llu", static_cast<unsigned long long>(frac));
    std::string fs = f;
    while (!fs.empty() && fs.back() == '0')
      fs.pop_back();
    secs += "." + fs;
  }
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  return out + secs + "s";
}

Value decode_message(std::string_view body, int message, int depth);

// One value of `f` from its wire form; nullopt-like Value() when it is a
// zero value JSON leaves out.
Value decode_value(const Field& f, FieldKind kind, int message, int wire, Reader& r, int depth) {
  auto need = [&](int w) {
    if (wire != w)
      malformed("field " + std::string(f.name) + " has wire type " + std::to_string(wire));
  };
  switch (kind) {
    case FieldKind::kString: {
      need(2);
      return Value(std::string(r.bytes()));
    }
    case FieldKind::kBytes: {
      need(2);
      return Value(base64_encode(r.bytes()));
    }
    case FieldKind::kBool:
      need(0);
      return Value(r.varint() != 0);
    case FieldKind::kInt32:
      need(0);
      return Value(static_cast<int64_t>(static_cast<int32_t>(r.varint())));
    case FieldKind::kInt64:
      need(0);
      return Value(static_cast<int64_t>(r.varint()));
    case FieldKind::kUint32:
    case FieldKind::kUint64:
      need(0);
      return Value(static_cast<int64_t>(r.varint()));
    case FieldKind::kDouble: {
      need(1);
      uint64_t bits = r.fixed(8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return Value(d);
    }
    case FieldKind::kFloat: {
      need(5);
      uint32_t bits = static_cast<uint32_t>(r.fixed(4));
      float fl;
      std::memcpy(&fl, &bits, sizeof fl);
      return Value(static_cast<double>(fl));
    }
    case FieldKind::kMessage:
      need(2);
      return decode_message(r.bytes(), message, depth + 1);
    default:
      break;
  }
  need(2);
  Reader in(r.bytes());
  int64_t a = 0, b = 0, type = 0;
  std::string text;
  bool have_text = false;
  while (!in.done()) {
    uint64_t key = in.varint();
    uint64_t num = key >> 3;
    int w = static_cast<int>(key & 7);
    if (kind == FieldKind::kQuantity || kind == FieldKind::kRawJson ||
        (kind == FieldKind::kIntOrString && num == 3)) {
      if (w == 2 && (num == 1 || kind == FieldKind::kIntOrString)) {
        text = std::string(in.bytes());
        have_text = true;
        continue;
      }
    } else if (w == 0 && (num == 1 || num == 2)) {
      int64_t v = static_cast<int64_t>(in.varint());
      if (kind == FieldKind::kIntOrString) {
        if (num == 1)
          type = v;
        else
          a = static_cast<int32_t>(v);
      } else {
        (num == 1 ? a : b) = v;
      }
      continue;
    }
    in.skip(w);
  }
  switch (kind) {
    case FieldKind::kTime:
      return a == 0 && b == 0 ? Value() : Value(rfc3339(a, b, false));
    case FieldKind::kMicroTime:
      return a == 0 && b == 0 ? Value() : Value(rfc3339(a, b, true));
    case FieldKind::kDuration:
      return Value(go_duration(a));
    case FieldKind::kIntOrString:
      return type == 1 ? Value(text) : Value(a);
    case FieldKind::kQuantity:
      return Value(text);
    case FieldKind::kRawJson:
      if (!have_text || text.empty()) return Value();
      try {
        return doc::parse_json(text, "raw");
      } catch (const Error&) {
        malformed("field " + std::string(f.name) + " holds bytes that are not JSON");
      }
    default:
      malformed("unexpected field kind");
  }
}

// Whether JSON leaves `v` out: an empty string, or the zero value of a
// non-pointer number or bool (omitempty), or a null time.
bool left_out(const Value& v, const Field& f) {
  if (v.is_null()) return true;
  if (f.flags & proto::kPointer) return false;
  if (v.is_string()) return v.as_string().empty();
  if (v.is_bool()) return !v.as_bool();
  if (v.is_int()) return v.as_int() == 0;
  return false;
}

bool packable(FieldKind k) {
  return k == FieldKind::kBool || k == FieldKind::kInt32 || k == FieldKind::kInt64 ||
         k == FieldKind::kUint32 || k == FieldKind::kUint64 || k == FieldKind::kDouble ||
         k == FieldKind::kFloat;
}

Value decode_message(std::string_view body, int message, int depth) {
  if (depth > kMaxDepth) malformed("nested deeper than 64 messages");
  Value out = Value::map();
  Reader r(body);
  while (!r.done()) {
    uint64_t key = r.varint();
    int wire = static_cast<int>(key & 7);
    uint64_t num = key >> 3;
    if (num == 0) malformed("field number 0");
    const Field* f = find_field(message, num);
    if (!f) {
      r.skip(wire);
      continue;
    }
    if (f->flags & proto::kMap) {
      if (wire != 2) malformed("map field " + std::string(f->name) + " is not length-delimited");
      Reader entry(r.bytes());
      std::string k;
      Value v;
      while (!entry.done()) {
        uint64_t ek = entry.varint();
        int ew = static_cast<int>(ek & 7);
        if ((ek >> 3) == 1 && ew == 2) {
          k = std::string(entry.bytes());
        } else if ((ek >> 3) == 2) {
          v = decode_value(*f, f->kind, f->message, ew, entry, depth);
        } else {
          entry.skip(ew);
        }
      }
      Value& m = out[f->name];
      if (!m.is_map()) m = Value::map();
      if (v.is_null()) v = f->kind == FieldKind::kString ? Value(std::string()) : Value();
      m.set(k, std::move(v));
      continue;
    }
    if (f->flags & proto::kRepeated) {
      Value& list = out[f->name];
      if (!list.is_list()) list = Value::list();
      if (wire == 2 && packable(f->kind)) {
        Reader packed(r.bytes());
        int inner = f->kind == FieldKind::kDouble ? 1 : f->kind == FieldKind::kFloat ? 5 : 0;
        while (!packed.done())
          list.push_back(decode_value(*f, f->kind, f->message, inner, packed, depth));
      } else {
        list.push_back(decode_value(*f, f->kind, f->message, wire, r, depth));
      }
      continue;
    }
    Value v = decode_value(*f, f->kind, f->message, wire, r, depth);
    if (left_out(v, *f)) {
      out.erase(f->name);
    } else {
      out.set(f->name, std::move(v));
    }
  }
  return out;
}

}  // namespace

ProtobufObject decode_protobuf(std::string_view body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, 4) != kMagic) malformed("it does not start with the bytes \"k8s\\0\"");
  Reader r(body.substr(4));
  std::string api_version, kind;
  std::string_view raw;
  std::string encoding;
  while (!r.done()) {
    uint64_t key = r.varint();
    int wire = static_cast<int>(key & 7);
    uint64_t num = key >> 3;
    if (num == 1 && wire == 2) {
      Reader tm(r.bytes());
      while (!tm.done()) {
        uint64_t k = tm.varint();
        int w = static_cast<int>(k & 7);
        if ((k >> 3) == 1 && w == 2) {
          api_version = std::string(tm.bytes());
        } else if ((k >> 3) == 2 && w == 2) {
          kind = std::string(tm.bytes());
        } else {
          tm.skip(w);
        }
      }
    } else if (num == 2 && wire == 2) {
      raw = r.bytes();
    } else if (num == 3 && wire == 2) {
      encoding = std::string(r.bytes());
    } else {
      r.skip(wire);
    }
  }
  ProtobufObject out;
  out.type = api_version + " " + kind;
  if (!encoding.empty()) malformed("contentEncoding \"" + encoding + "\" is not supported");
  for (size_t i = 0; i < proto::root_count(); ++i) {
    const proto::Root& root = proto::roots()[i];
    if (api_version != root.api_version || kind != root.kind) continue;
    out.object = decode_message(raw, root.message, 0);
    out.object.set("apiVersion", api_version);
    out.object.set("kind", kind);
    out.supported = true;
    break;
  }
  return out;
}

}  // namespace gantry::sandbox
