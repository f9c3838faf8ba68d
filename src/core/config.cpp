#include "core/config.h"

#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/strings.h"

namespace dcae::config {
namespace {

std::string where(const std::string& origin, const YAML::Mark& m) {
  std::ostringstream s;
  s << origin;
  if (m.line >= 0) s << ':' << (m.line + 1) << ':' << (m.column + 1);
  return s.str();
}

std::string normalise(std::string k) {
  for (char& c : k)
    if (c == '-') c = '_';
  return k;
}

bool is_number_type(Type t) {
  return t == Type::kInt || t == Type::kFloat || t == Type::kIntList || t == Type::kFloatList;
}

/// Converts one scalar node; throws usage_error on type mismatch.
long long as_int(const YAML::Node& n, const std::string& at, const std::string& key) {
  if (auto v = parse_int(n.Scalar())) return *v;
  throw usage_error(at + ": '" + key + "' must be an integer, got '" + n.Scalar() + "'");
}
double as_float(const YAML::Node& n, const std::string& at, const std::string& key) {
  std::string s = to_lower(n.Scalar());
  if (s == ".inf" || s == "+.inf") s = "inf";
  if (s == "-.inf") s = "-inf";
  if (s == ".nan") s = "nan";
  if (auto v = parse_double(s)) return *v;
  throw usage_error(at + ": '" + key + "' must be a number, got '" + n.Scalar() + "'");
}
bool as_bool(const YAML::Node& n, const std::string& at, const std::string& key) {
  const std::string s = to_lower(n.Scalar());
  if (s == "true" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "no" || s == "off") return false;
  throw usage_error(at + ": '" + key + "' must be true or false, got '" + n.Scalar() + "'");
}

Scalar convert(const YAML::Node& n, const Key& key, const std::string& at) {
  const bool list =
      key.type == Type::kIntList || key.type == Type::kFloatList || key.type == Type::kStringList;
  if (list) {
    if (!n.IsSequence() && !n.IsScalar()) {
      throw usage_error(at + ": '" + key.name + "' must be of type " + type_name(key.type));
    }
    std::vector<YAML::Node> items;
    if (n.IsSequence()) {
      for (const auto& item : n) items.push_back(item);
    } else {
      items.push_back(n);
    }
    for (const auto& item : items) {
      if (!item.IsScalar()) {
        throw usage_error(at + ": '" + key.name + "' must be of type " + type_name(key.type));
      }
    }
    if (key.type == Type::kIntList) {
      std::vector<long long> v;
      for (const auto& item : items) v.push_back(as_int(item, at, key.name));
      return v;
    }
    if (key.type == Type::kFloatList) {
      std::vector<double> v;
      for (const auto& item : items) v.push_back(as_float(item, at, key.name));
      return v;
    }
    std::vector<std::string> v;
    for (const auto& item : items) v.push_back(item.Scalar());
    return v;
  }
  if (!n.IsScalar()) {
    throw usage_error(at + ": '" + key.name + "' must be of type " + type_name(key.type) +
                      ", got a " +
                      (n.IsMap()        ? "mapping"
                       : n.IsSequence() ? "list"
                                        : "null"));
  }
  switch (key.type) {
  case Type::kBool:
    return as_bool(n, at, key.name);
  case Type::kInt:
    return as_int(n, at, key.name);
  case Type::kFloat:
    return as_float(n, at, key.name);
  default:
    return n.Scalar();
  }
}

void walk(const YAML::Node& node, const std::string& prefix, const std::string& origin,
          const std::map<std::string, const Key*>& keys, Values& out) {
  if (!node.IsMap()) {
    throw usage_error(where(origin, node.Mark()) + ": expected a mapping of keys to values");
  }
  for (const auto& kv : node) {
    const std::string name = prefix + normalise(kv.first.Scalar());
    const std::string at = where(origin, kv.first.Mark());
    auto it = keys.find(name);
    if (it == keys.end()) {
      // A section: some declared key starts with "name.".
      const auto sub = keys.lower_bound(name + ".");
      if (sub != keys.end() && starts_with(sub->first, name + ".")) {
        walk(kv.second, name + ".", origin, keys, out);
        continue;
      }
      std::vector<std::string> known;
      for (const auto& k : keys) {
        if (starts_with(k.first, prefix)) known.push_back(k.first.substr(prefix.size()));
      }
      throw usage_error(at + ": unknown key '" + name + "' (known: " + join(known, ", ") + ")");
    }
    const Key& key = *it->second;
    const std::string vat = where(origin, kv.second.Mark());
    Scalar v = convert(kv.second, key, vat);
    const std::string problem = check(key, v);
    if (!problem.empty()) throw usage_error(vat + ": '" + name + "' " + problem);
    out[name] = Value{std::move(v), vat};
  }
}

std::string fmt(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

} // namespace

const char* type_name(Type t) {
  switch (t) {
  case Type::kBool:
    return "boolean";
  case Type::kInt:
    return "integer";
  case Type::kFloat:
    return "number";
  case Type::kString:
    return "string";
  case Type::kIntList:
    return "list of integers";
  case Type::kFloatList:
    return "list of numbers";
  case Type::kStringList:
    return "list of strings";
  }
  return "value";
}

std::string check(const Key& key, const Scalar& value) {
  auto in_range = [&](double x) -> std::string {
    if (is_number_type(key.type) && x != x) return "must not be NaN";
    if (key.min && x < *key.min) return "must be >= " + fmt(*key.min) + ", got " + fmt(x);
    if (key.max && x > *key.max) return "must be <= " + fmt(*key.max) + ", got " + fmt(x);
    return "";
  };
  auto in_choices = [&](const std::string& s) -> std::string {
    if (key.choices.empty()) return "";
    for (const auto& c : key.choices)
      if (c == s) return "";
    return "must be one of {" + join(key.choices, ", ") + "}, got '" + s + "'";
  };
  if (auto* i = std::get_if<long long>(&value)) return in_range(static_cast<double>(*i));
  if (auto* d = std::get_if<double>(&value)) return in_range(*d);
  if (auto* s = std::get_if<std::string>(&value)) return in_choices(*s);
  if (auto* il = std::get_if<std::vector<long long>>(&value)) {
    for (long long x : *il)
      if (auto p = in_range(static_cast<double>(x)); !p.empty()) return p;
  }
  if (auto* dl = std::get_if<std::vector<double>>(&value)) {
    for (double x : *dl)
      if (auto p = in_range(x); !p.empty()) return p;
  }
  if (auto* sl = std::get_if<std::vector<std::string>>(&value)) {
    for (const auto& x : *sl)
      if (auto p = in_choices(x); !p.empty()) return p;
  }
  return "";
}

Values parse(const std::string& text, const std::string& origin, const std::vector<Key>& schema) {
  std::map<std::string, const Key*> keys;
  for (const Key& k : schema) keys[normalise(k.name)] = &k;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw usage_error(where(origin, e.mark) + ": malformed YAML: " + e.msg);
  }
  Values out;
  if (root.IsNull()) return out; // an empty file sets nothing
  try {
    walk(root, "", origin, keys, out);
  } catch (const YAML::Exception& e) {
    throw usage_error(where(origin, e.mark) + ": " + e.msg);
  }
  return out;
}

Values load(const std::filesystem::path& file, const std::vector<Key>& schema) {
  return parse(read_file(file), file.string(), schema);
}

} // namespace dcae::config
