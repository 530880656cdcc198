// Evaluator (text/template/exec.go), with Option("missingkey=zero"): a missing label is "".
#include <fmt/format.h>

#include "query/logql_template_internal.h"

namespace sluice::query::logql::template_internal {

int64_t Exec::LabelCount() const {
  if (!in_.for_each_label) return -1;
  int64_t n = 0;
  in_.for_each_label([&](std::string_view, std::string_view) { ++n; });
  return n;
}

bool Exec::IsTrue(const Value& v) const {
  switch (v.kind) {
    case Kind::kNil:
      return false;
    case Kind::kString:
      return !v.s.empty();
    case Kind::kInt:
    case Kind::kInt64:
      return v.i != 0;
    case Kind::kFloat:
      return v.f != 0;
    case Kind::kBool:
      return v.b;
    case Kind::kTime:
      return true;
    case Kind::kLabels:
      return LabelCount() != 0;
    case Kind::kJsonMap:
    case Kind::kJsonArray:
      return !v.json->items.empty();
    case Kind::kStringMap:
      return !v.MapEntries().empty();
    case Kind::kStruct:
    case Kind::kDuration:  // a non-nil pointer
      return true;
  }
  return false;
}

namespace {

enum class Flow : uint8_t { kNormal, kBreak, kContinue, kError };

// The node an error is reported at (Go's state.node).
struct ErrNode {
  enum class K : uint8_t { kNone, kArg, kCmd, kPipe, kNode };
  K k = K::kNone;
  const void* p = nullptr;
  static ErrNode Of(const ArgNode& n) { return {K::kArg, &n}; }
  static ErrNode Of(const CommandNode& n) { return {K::kCmd, &n}; }
  static ErrNode Of(const PipeNode& n) { return {K::kPipe, &n}; }
  static ErrNode Of(const Node& n) { return {K::kNode, &n}; }
};

std::string_view PTName(PT t) {
  switch (t) {
    case PT::kString:
      return "string";
    case PT::kInt:
      return "int";
    case PT::kFloat:
      return "float64";
    case PT::kBool:
      return "bool";
    case PT::kTime:
      return "time.Time";
    default:
      return "interface {}";
  }
}

// The evaluator: walks the tree over one entry.
class Evaluator : public Exec {
 public:
  Evaluator(const TemplateTree& t, const TemplateInput& in, std::string* out, Scratch& s,
            const ExecData* data)
      : Exec(in, s), t_(t), out_(out) {
    data_ = data;
  }

  Status Run() {
    s_.vars.clear();
    s_.arena.Reset();
    s_.json.clear();
    s_.labels.clear();
    s_.args.clear();
    if (s_.tmp.capacity() > (1 << 20)) std::string().swap(s_.tmp);
    Value root;
    if (data_ != nullptr) {
      root = data_->root;
    } else {
      root.kind = Kind::kLabels;
    }
    s_.vars.emplace_back("$", root);
    size_t before = out_->size();
    if (Walk(t_.root, root) == Flow::kError) {
      out_->resize(before);
      return Status::InvalidArgument(std::move(error_));
    }
    return Status::Ok();
  }

 private:
  void At(ErrNode n) { node_ = n; }
  template <typename N>
  void At(const N& n) {
    node_ = ErrNode::Of(n);
  }

  bool Fail(std::string_view message) {
    if (node_.k == ErrNode::K::kNone) {
      error_ = fmt::format("template: {}: {}", t_.name, message);
      return false;
    }
    std::string context;
    size_t pos = 0;
    switch (node_.k) {
      case ErrNode::K::kArg: {
        const auto& n = *static_cast<const ArgNode*>(node_.p);
        RenderArg(n, &context);
        pos = n.pos;
        break;
      }
      case ErrNode::K::kCmd: {
        const auto& n = *static_cast<const CommandNode*>(node_.p);
        RenderCommand(n, &context);
        pos = n.pos;
        break;
      }
      case ErrNode::K::kPipe: {
        const auto& n = *static_cast<const PipeNode*>(node_.p);
        RenderPipe(n, &context);
        pos = n.pos;
        break;
      }
      case ErrNode::K::kNode: {
        const auto& n = *static_cast<const Node*>(node_.p);
        RenderNode(n, &context);
        pos = n.pos;
        break;
      }
      case ErrNode::K::kNone:
        break;
    }
    auto [line, column] = LineAndColumn(t_.text, pos);
    error_ = fmt::format("template: {}:{}:{}: executing {} at <{}>: {}", t_.name, line, column,
                         GoQuote(t_.name), context, message);
    return false;
  }

  Flow Walk(const std::vector<Node>& list, const Value& dot) {
    for (const Node& n : list) {
      Flow f = WalkNode(n, dot);
      if (f != Flow::kNormal) return f;
    }
    return Flow::kNormal;
  }

  Flow WalkNode(const Node& n, const Value& dot) {
    At(n);
    switch (n.type) {
      case NodeType::kText:
        out_->append(n.text);
        return Flow::kNormal;
      case NodeType::kAction: {
        Value v;
        if (!EvalPipeline(*n.pipe, dot, &v)) return Flow::kError;
        if (n.pipe->decl.empty()) PrintValue(v);
        return Flow::kNormal;
      }
      case NodeType::kIf:
      case NodeType::kWith: {
        size_t mark = s_.vars.size();
        Value v;
        if (!EvalPipeline(*n.pipe, dot, &v)) return Flow::kError;
        Flow f = Flow::kNormal;
        if (IsTrue(v)) {
          f = Walk(n.list, n.type == NodeType::kWith ? v : dot);
        } else if (n.has_else) {
          f = Walk(n.else_list, dot);
        }
        s_.vars.resize(mark);
        return f;
      }
      case NodeType::kRange:
        return WalkRange(n, dot);
      case NodeType::kBreak:
        return Flow::kBreak;
      case NodeType::kContinue:
        return Flow::kContinue;
      default:
        return Flow::kNormal;
    }
  }

  void PrintValue(const Value& v) {
    switch (v.kind) {
      case Kind::kNil:
        out_->append("<no value>");
        return;
      case Kind::kString:
        out_->append(v.s);
        return;
      default:
        GoPrint(out_, v, labels());
    }
  }

  Flow WalkRange(const Node& r, const Value& dot) {
    At(r);
    size_t outer_mark = s_.vars.size();
    Value val;
    if (!EvalPipeline(*r.pipe, dot, &val)) return Flow::kError;
    const PipeNode& p = *r.pipe;
    size_t mark = s_.vars.size();
    bool ran = false;
    Flow result = Flow::kNormal;
    // One iteration; true when the loop must stop (break or error).
    auto iterate = [&](const Value& index, const Value& elem) {
      ran = true;
      if (!p.decl.empty()) {
        if (p.is_assign) {
          if (!SetVar(p.decl[0], p.decl.size() > 1 ? index : elem)) {
            result = Flow::kError;
            return true;
          }
        } else {
          s_.vars[s_.vars.size() - 1].second = elem;
        }
      }
      if (p.decl.size() > 1) {
        if (p.is_assign) {
          if (!SetVar(p.decl[1], elem)) {
            result = Flow::kError;
            return true;
          }
        } else {
          s_.vars[s_.vars.size() - 2].second = index;
        }
      }
      Flow f = Walk(r.list, elem);
      s_.vars.resize(mark);
      if (f == Flow::kError) result = Flow::kError;
      return f == Flow::kError || f == Flow::kBreak;
    };
    switch (val.kind) {
      case Kind::kJsonArray:
        for (size_t i = 0; i < val.json->items.size(); ++i) {
          if (iterate(Value::Int(static_cast<int64_t>(i)), ValueOfJson(val.json->items[i]))) break;
        }
        break;
      case Kind::kJsonMap:
        for (size_t i = 0; i < val.json->items.size(); ++i) {
          if (iterate(Value::Str(val.json->keys[i]), ValueOfJson(val.json->items[i]))) break;
        }
        break;
      case Kind::kLabels: {
        if (!in_.for_each_label) {
          Fail("range over the labels needs the label list, which this query does not provide");
          return Flow::kError;
        }
        size_t start = s_.labels.size();
        in_.for_each_label(
            [&](std::string_view k, std::string_view v) { s_.labels.emplace_back(k, v); });
        size_t end = s_.labels.size();
        for (size_t i = start; i < end; ++i) {
          auto [k, v] = s_.labels[i];
          if (iterate(Value::Str(k), Value::Str(v))) break;
        }
        s_.labels.resize(start);
        break;
      }
      case Kind::kStringMap:  // Go ranges over a map in key order
        for (const storage::Label& l : val.MapEntries()) {
          if (iterate(Value::Str(l.name), Value::Str(l.value))) break;
        }
        break;
      case Kind::kInt:
      case Kind::kInt64:
        if (p.decl.size() > 1) {
          std::string s;
          GoPrint(&s, val, labels());
          Fail(fmt::format("can't use {} to iterate over more than one variable", s));
          return Flow::kError;
        }
        for (int64_t i = 0; i < val.i; ++i) {
          if (iterate(Value::Int(i, val.kind), Value::Int(i, val.kind))) break;
        }
        break;
      case Kind::kNil:
        break;
      default: {
        std::string s;
        GoPrint(&s, val, labels());
        Fail("range can't iterate over " + s);
        return Flow::kError;
      }
    }
    if (result == Flow::kError) return Flow::kError;
    Flow f = Flow::kNormal;
    if (!ran && r.has_else) f = Walk(r.else_list, dot);
    s_.vars.resize(outer_mark);
    return f;
  }

  bool SetVar(std::string_view name, const Value& v) {
    for (size_t i = s_.vars.size(); i-- > 0;) {
      if (s_.vars[i].first == name) {
        s_.vars[i].second = v;
        return true;
      }
    }
    return Fail(fmt::format("undefined variable: {}", name));
  }

  bool VarValue(std::string_view name, Value* out) {
    for (size_t i = s_.vars.size(); i-- > 0;) {
      if (s_.vars[i].first == name) {
        *out = s_.vars[i].second;
        return true;
      }
    }
    return Fail(fmt::format("undefined variable: {}", name));
  }

  bool EvalPipeline(const PipeNode& p, const Value& dot, Value* out) {
    At(p);
    Value v;
    bool have = false;
    for (const CommandNode& c : p.cmds) {
      Value next;
      if (!EvalCommand(c, dot, have ? &v : nullptr, &next)) return false;
      v = next;
      v.in_interface = false;  // a nil interface is dug down to no value
      have = true;
    }
    for (std::string_view name : p.decl) {
      if (p.is_assign) {
        if (!SetVar(name, v)) return false;
      } else {
        s_.vars.emplace_back(name, v);
      }
    }
    *out = v;
    return true;
  }

  bool NotAFunction(std::span<const ArgNode> args, const Value* final) {
    if (args.size() > 1 || final != nullptr) {
      std::string s;
      RenderArg(args[0], &s);
      return Fail("can't give argument to non-function " + s);
    }
    return true;
  }

  bool EvalCommand(const CommandNode& c, const Value& dot, const Value* final, Value* out) {
    const ArgNode& first = c.args[0];
    std::span<const ArgNode> args(c.args);
    switch (first.type) {
      case ArgType::kField:
        return EvalFieldNode(dot, first, args, final, out);
      case ArgType::kChain:
        return EvalChainNode(dot, first, args, final, out);
      case ArgType::kIdentifier:
        At(first);
        return EvalCall(dot, *first.func, nullptr, ErrNode::Of(c), first.func->name, args, final,
                        out, &c);
      case ArgType::kPipe:
        if (!NotAFunction(args, final)) return false;
        return EvalPipeline(*first.pipe, dot, out);
      case ArgType::kVariable:
        return EvalVariableNode(dot, first, args, final, out);
      default:
        break;
    }
    At(first);
    if (!NotAFunction(args, final)) return false;
    switch (first.type) {
      case ArgType::kBool:
        *out = Value::Bool(first.b);
        return true;
      case ArgType::kDot:
        *out = dot;
        return true;
      case ArgType::kNil:
        return Fail("nil is not a command");
      case ArgType::kNumber:
        return IdealConstant(first, out);
      case ArgType::kString:
        *out = Value::Str(first.str);
        return true;
      default:
        return Fail("can't evaluate command");
    }
  }

  // A number in a place that does not say its type: float when written like one, else int.
  bool IdealConstant(const ArgNode& n, Value* out) {
    At(n);
    std::string_view text = n.text;
    bool hex_int = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                   text.find_first_of("pP") == std::string_view::npos;
    bool rune_int = !text.empty() && text[0] == '\'';
    if (n.num.is_float && !hex_int && !rune_int &&
        text.find_first_of(".eEpP") != std::string_view::npos) {
      *out = Value::Float(n.num.f);
      return true;
    }
    if (n.num.is_int) {
      *out = Value::Int(n.num.i);
      return true;
    }
    if (n.num.is_uint) return Fail(fmt::format("{} overflows int", text));
    *out = Value();
    return true;
  }

  bool EvalFieldNode(const Value& dot, const ArgNode& field, std::span<const ArgNode> args,
                     const Value* final, Value* out) {
    At(field);
    return EvalFieldChain(dot, dot, ErrNode::Of(field), field.idents, args, final, out);
  }

  bool EvalChainNode(const Value& dot, const ArgNode& chain, std::span<const ArgNode> args,
                     const Value* final, Value* out) {
    At(chain);
    if (chain.base->type == ArgType::kNil) {
      std::string s;
      RenderArg(chain, &s);
      return Fail("indirection through explicit nil in " + s);
    }
    Value base;
    if (!EvalArg(dot, PT::kNone, *chain.base, &base)) return false;
    return EvalFieldChain(dot, base, ErrNode::Of(chain), chain.idents, args, final, out);
  }

  bool EvalVariableNode(const Value& dot, const ArgNode& var, std::span<const ArgNode> args,
                        const Value* final, Value* out) {
    At(var);
    Value v;
    if (!VarValue(var.idents[0], &v)) return false;
    if (var.idents.size() == 1) {
      if (!NotAFunction(args, final)) return false;
      *out = v;
      return true;
    }
    return EvalFieldChain(dot, v, ErrNode::Of(var), std::span(var.idents).subspan(1), args, final,
                          out);
  }

  bool EvalFieldChain(const Value& dot, Value receiver, ErrNode node,
                      std::span<const std::string_view> idents, std::span<const ArgNode> args,
                      const Value* final, Value* out) {
    for (size_t i = 0; i + 1 < idents.size(); ++i) {
      Value next;
      if (!EvalField(dot, idents[i], node, {}, nullptr, receiver, &next)) return false;
      receiver = next;
    }
    return EvalField(dot, idents.back(), node, args, final, receiver, out);
  }

  bool EvalField(const Value& dot, std::string_view name, ErrNode node,
                 std::span<const ArgNode> args, const Value* final, const Value& receiver,
                 Value* out) {
    if (receiver.kind == Kind::kNil) {
      if (receiver.in_interface) {
        return Fail(fmt::format("nil pointer evaluating interface {{}}.{}", name));
      }
      *out = Value();
      return true;
    }
    if (receiver.kind == Kind::kTime) {
      if (const FuncDef* m = FindTimeMethod(name)) {
        return EvalCall(dot, *m, &receiver, node, name, args, final, out, nullptr);
      }
    }
    if (receiver.kind == Kind::kDuration) {
      if (const FuncDef* m = FindDurationMethod(name)) {
        return EvalCall(dot, *m, &receiver, node, name, args, final, out, nullptr);
      }
    }
    bool has_args = args.size() > 1 || final != nullptr;
    if (receiver.kind == Kind::kStruct) {
      const auto& names = receiver.stype->field_names;
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] != name) continue;
        if (has_args) {
          return Fail(fmt::format("{} has arguments but cannot be invoked as function", name));
        }
        *out = receiver.stype->field(receiver.obj, i);
        return true;
      }
    }
    if (receiver.kind == Kind::kStringMap) {
      if (has_args) return Fail(fmt::format("{} is not a method but has arguments", name));
      // missingkey=zero: an absent key is the element type's zero value, "".
      *out = Value::Str(receiver.MapValue(name));
      return true;
    }
    if (receiver.kind == Kind::kLabels || receiver.kind == Kind::kJsonMap) {
      if (has_args) return Fail(fmt::format("{} is not a method but has arguments", name));
      if (receiver.kind == Kind::kLabels) {
        *out = Value::Str(Label(name));
        return true;
      }
      const auto& keys = receiver.json->keys;
      auto it = std::lower_bound(keys.begin(), keys.end(), name);
      if (it != keys.end() && *it == name) {
        *out = ValueOfJson(receiver.json->items[static_cast<size_t>(it - keys.begin())]);
      } else {
        *out = Value();
        out->in_interface = true;
      }
      return true;
    }
    return Fail(fmt::format("can't evaluate field {} in type {}", name, TypeName(receiver)));
  }

  bool ValidateType(const Value& v, PT t, Value* out) {
    if (t == PT::kAny || t == PT::kNone) {
      *out = v;
      return true;
    }
    if (v.kind == Kind::kNil) return Fail(fmt::format("invalid value; expected {}", PTName(t)));
    bool ok =
        (t == PT::kString && v.kind == Kind::kString) || (t == PT::kInt && v.kind == Kind::kInt) ||
        (t == PT::kFloat && v.kind == Kind::kFloat) || (t == PT::kBool && v.kind == Kind::kBool) ||
        (t == PT::kTime && v.kind == Kind::kTime);
    if (!ok) {
      return Fail(fmt::format("wrong type for value; expected {}; got {}", PTName(t), TypeName(v)));
    }
    *out = v;
    return true;
  }

  bool EvalArg(const Value& dot, PT t, const ArgNode& arg, Value* out) {
    At(arg);
    Value v;
    switch (arg.type) {
      case ArgType::kDot:
        return ValidateType(dot, t, out);
      case ArgType::kNil:
        if (t == PT::kAny || t == PT::kNone) {
          *out = Value();
          return true;
        }
        return Fail(fmt::format("cannot assign nil to {}", PTName(t)));
      case ArgType::kField:
        if (!EvalFieldNode(dot, arg, std::span(&arg, 1), nullptr, &v)) return false;
        return ValidateType(v, t, out);
      case ArgType::kVariable:
        if (!EvalVariableNode(dot, arg, {}, nullptr, &v)) return false;
        return ValidateType(v, t, out);
      case ArgType::kPipe:
        if (!EvalPipeline(*arg.pipe, dot, &v)) return false;
        v.in_interface = false;
        return ValidateType(v, t, out);
      case ArgType::kIdentifier:
        At(arg);
        if (!EvalCall(dot, *arg.func, nullptr, ErrNode::Of(arg), arg.func->name, {}, nullptr, &v,
                      nullptr)) {
          return false;
        }
        return ValidateType(v, t, out);
      case ArgType::kChain:
        if (!EvalChainNode(dot, arg, {}, nullptr, &v)) return false;
        return ValidateType(v, t, out);
      default:
        break;
    }
    std::string found;
    RenderArg(arg, &found);
    switch (t) {
      case PT::kBool:
        if (arg.type == ArgType::kBool) {
          *out = Value::Bool(arg.b);
          return true;
        }
        return Fail("expected bool; found " + found);
      case PT::kFloat:
        if (arg.type == ArgType::kNumber && arg.num.is_float) {
          *out = Value::Float(arg.num.f);
          return true;
        }
        return Fail("expected float; found " + found);
      case PT::kInt:
        if (arg.type == ArgType::kNumber && arg.num.is_int) {
          *out = Value::Int(arg.num.i);
          return true;
        }
        return Fail("expected integer; found " + found);
      case PT::kString:
        if (arg.type == ArgType::kString) {
          *out = Value::Str(arg.str);
          return true;
        }
        return Fail("expected string; found " + found);
      case PT::kTime:
        return Fail(fmt::format("can't handle {} for arg of type time.Time", found));
      case PT::kAny:
      case PT::kNone:
        switch (arg.type) {
          case ArgType::kBool:
            *out = Value::Bool(arg.b);
            return true;
          case ArgType::kNumber:
            return IdealConstant(arg, out);
          case ArgType::kString:
            *out = Value::Str(arg.str);
            return true;
          default:
            return Fail(
                fmt::format("can't handle assignment of {} to empty interface argument", found));
        }
    }
    return false;
  }

  // evalCall: checks the number of arguments, converts them to the parameter types (the
  // pipeline's previous value last) and calls; a function's error becomes "error calling".
  bool EvalCall(const Value& dot, const FuncDef& f, const Value* receiver, ErrNode node,
                std::string_view name, std::span<const ArgNode> args, const Value* final,
                Value* out, const CommandNode* cmd) {
    std::span<const ArgNode> rest = args.empty() ? args : args.subspan(1);
    size_t num_in = rest.size() + (final != nullptr ? 1 : 0);
    size_t num_fixed = rest.size();
    if (f.variadic) {
      num_fixed = f.nparams;
      if (num_in < num_fixed) {
        return Fail(fmt::format("wrong number of args for {}: want at least {} got {}", name,
                                f.nparams, rest.size()));
      }
    } else if (num_in != f.nparams) {
      return Fail(
          fmt::format("wrong number of args for {}: want {} got {}", name, f.nparams, num_in));
    }
    if (f.special == Special::kAnd || f.special == Special::kOr) {
      bool want = f.special == Special::kOr;
      Value v;
      for (const ArgNode& a : rest) {
        if (!EvalArg(dot, PT::kAny, a, &v)) return false;
        if (IsTrue(v) == want) {
          *out = v;
          return true;
        }
      }
      if (final != nullptr) v = *final;
      *out = v;
      return true;
    }
    // The arguments go on a stack shared by nested calls: evaluating one may push and pop above.
    std::vector<Value>& stack = s_.args;
    size_t base = stack.size();
    struct Pop {
      std::vector<Value>& stack;
      size_t base;
      ~Pop() { stack.resize(base); }
    } pop{stack, base};
    size_t i = 0;
    for (; i < rest.size(); ++i) {
      Value v;
      if (!EvalArg(dot, i < num_fixed ? f.params[i] : f.variadic_type, rest[i], &v)) return false;
      stack.push_back(v);
    }
    if (final != nullptr) {
      PT t = f.nparams > 0 ? f.params[f.nparams - 1] : f.variadic_type;
      if (f.variadic) t = num_in - 1 < num_fixed ? f.params[num_in - 1] : f.variadic_type;
      Value v;
      if (!ValidateType(*final, t, &v)) return false;
      stack.push_back(v);
    }
    const Value* argv = stack.data() + base;
    if (f.special == Special::kCall) {
      At(node);
      if (num_in == 0 || argv[0].kind == Kind::kNil) return Fail("error calling call: call of nil");
      std::string callee;
      if (!rest.empty()) RenderArg(rest[0], &callee);
      return Fail(
          fmt::format("error calling call: non-function {} of type {}", callee, TypeName(argv[0])));
    }
    current_regex_ = cmd != nullptr && cmd->regex ? cmd->regex.get() : nullptr;
    call_error_.clear();
    bool ok = f.impl(*this, receiver, std::span<const Value>(argv, num_in), out);
    current_regex_ = nullptr;
    if (!ok) {
      At(node);
      return Fail(fmt::format("error calling {}: {}", name, call_error_));
    }
    return true;
  }

  const TemplateTree& t_;
  std::string* out_;
  ErrNode node_;
  std::string error_;
};

}  // namespace

Status Execute(const TemplateTree& tree, const TemplateInput& input, std::string* out,
               Scratch& scratch) {
  return Evaluator(tree, input, out, scratch, nullptr).Run();
}

Status Execute(const TemplateTree& tree, const ExecData& data, std::string* out, Scratch& scratch) {
  static const TemplateInput kNoEntry;
  return Evaluator(tree, kNoEntry, out, scratch, &data).Run();
}

}  // namespace sluice::query::logql::template_internal
