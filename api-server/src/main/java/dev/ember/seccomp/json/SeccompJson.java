package dev.ember.seccomp.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.seccomp.ArgCondition;
import dev.ember.seccomp.SeccompAction;
import dev.ember.seccomp.SeccompFilter;
import dev.ember.seccomp.SeccompFilterException;
import dev.ember.seccomp.SyscallRule;
import dev.ember.seccomp.SyscallTable;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a seccomp filter written in Firecracker's seccompiler JSON form (one filter object, not
 * a map of thread categories: Ember installs one filter for the whole process):
 *
 * <pre>{@code
 * { "default_action": "kill_process" | "trap" | "log" | "allow" | "kill_thread" | {"errno": N},
 *   "filter_action": "allow",
 *   "filter": [ { "syscall": "ioctl", "comment": "...",
 *                 "args": [ { "arg_index": 1, "arg_type": "dword", "op": "eq", "val": 44672,
 *                             "comment": "KVM_RUN" } ] } ] }
 * }</pre>
 *
 * {@code op} is one of eq, ne, lt, le, gt, ge or {@code {"masked_eq": MASK}}; values are
 * decimal integers (up to 2^64-1). A rule may carry its own {@code "action"} (an Ember
 * extension). Every error names the file and the JSON path of the bad part.
 */
public final class SeccompJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger I64_MIN = BigInteger.valueOf(Long.MIN_VALUE);

    /** Firecracker's thread categories, in the order they are installed. */
    private static final Set<String> CATEGORIES = new LinkedHashSet<>(List.of("vmm", "api", "vcpu"));

    private SeccompJson() {}

    /** Parses {@code json}; {@code source} (a file name) prefixes every error message. */
    public static SeccompFilter parse(String source, String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SeccompFilterException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
        }
        try {
            return filter(root);
        } catch (SeccompFilterException e) {
            throw new SeccompFilterException(source + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses a filter file: Firecracker's map of thread categories ({@code {"vmm": FILTER, "api":
     * FILTER, "vcpu": FILTER}}, vmm required) or a single filter object, which is taken as the
     * {@code vmm} filter.
     */
    public static Map<String, SeccompFilter> parseFilters(String source, String json) {
        JsonNode root = tree(source, json);
        try {
            Map<String, SeccompFilter> filters = new LinkedHashMap<>();
            if (root != null && root.isObject() && !root.has("filter") && !root.has("default_action") && root.size() > 0) {
                Set<String> fields = new LinkedHashSet<>(CATEGORIES);
                fields.add("comment");
                onlyFields(root, "", fields);
                if (!root.has("vmm")) {
                    throw new SeccompFilterException("the \"vmm\" filter is missing: it is installed on every thread of the process"
                            + " (\"api\" and \"vcpu\" are optional and narrow their threads further)");
                }
                for (String category : CATEGORIES) {
                    if (root.has(category)) {
                        try {
                            filters.put(category, filter(root.get(category)));
                        } catch (SeccompFilterException e) {
                            throw new SeccompFilterException(category + "." + e.getMessage(), e);
                        }
                    }
                }
            } else {
                filters.put("vmm", filter(root));
            }
            return filters;
        } catch (SeccompFilterException e) {
            throw new SeccompFilterException(source + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode tree(String source, String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new SeccompFilterException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
        }
    }

    private static SeccompFilter filter(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new SeccompFilterException("the top level must be an object with default_action, filter_action and filter");
        }
        onlyFields(root, "", Set.of("default_action", "filter_action", "filter", "comment"));
        SeccompAction defaultAction = action(required(root, "", "default_action"), "default_action");
        SeccompAction filterAction = action(required(root, "", "filter_action"), "filter_action");
        JsonNode list = required(root, "", "filter");
        if (!list.isArray()) {
            throw new SeccompFilterException("filter must be an array of rules");
        }
        List<SyscallRule> rules = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            rules.add(rule(list.get(i), "filter[" + i + "]"));
        }
        return new SeccompFilter(defaultAction, filterAction, rules);
    }

    private static SyscallRule rule(JsonNode n, String at) {
        if (!n.isObject()) {
            throw new SeccompFilterException(at + " must be an object {\"syscall\": NAME, \"args\": [...]}");
        }
        onlyFields(n, at, Set.of("syscall", "args", "action", "comment"));
        JsonNode name = required(n, at, "syscall");
        if (!name.isTextual()) {
            throw new SeccompFilterException(at + ".syscall must be a system call name such as \"openat\"");
        }
        int number;
        try {
            number = SyscallTable.number(name.asText());
        } catch (SeccompFilterException e) {
            throw new SeccompFilterException(at + ".syscall: " + e.getMessage());
        }
        List<ArgCondition> conditions = new ArrayList<>();
        JsonNode args = n.get("args");
        if (args != null) {
            if (!args.isArray()) {
                throw new SeccompFilterException(at + ".args must be an array of conditions");
            }
            for (int i = 0; i < args.size(); i++) {
                conditions.add(condition(args.get(i), at + ".args[" + i + "]"));
            }
        }
        SeccompAction action = n.has("action") ? action(n.get("action"), at + ".action") : null;
        return new SyscallRule(name.asText(), number, conditions, action);
    }

    private static ArgCondition condition(JsonNode n, String at) {
        if (!n.isObject()) {
            throw new SeccompFilterException(at + " must be an object with arg_index, arg_type, op and val");
        }
        onlyFields(n, at, Set.of("arg_index", "arg_type", "op", "val", "comment"));
        JsonNode index = required(n, at, "arg_index");
        if (!index.isIntegralNumber() || index.bigIntegerValue().compareTo(BigInteger.ZERO) < 0
                || index.bigIntegerValue().compareTo(BigInteger.valueOf(5)) > 0) {
            throw new SeccompFilterException(at + ".arg_index must be 0..5, not " + index);
        }
        String type = required(n, at, "arg_type").asText();
        ArgCondition.Width width = switch (type) {
            case "dword" -> ArgCondition.Width.DWORD;
            case "qword" -> ArgCondition.Width.QWORD;
            default -> throw new SeccompFilterException(at + ".arg_type must be \"dword\" (32-bit) or \"qword\" (64-bit), not \"" + type + "\"");
        };
        long value = u64(required(n, at, "val"), at + ".val");
        JsonNode op = required(n, at, "op");
        try {
            if (op.isObject()) {
                onlyFields(op, at + ".op", Set.of("masked_eq"));
                long mask = u64(required(op, at + ".op", "masked_eq"), at + ".op.masked_eq");
                return ArgCondition.maskedEq(index.intValue(), width, mask, value);
            }
            ArgCondition.Op o = switch (op.asText()) {
                case "eq" -> ArgCondition.Op.EQ;
                case "ne" -> ArgCondition.Op.NE;
                case "lt" -> ArgCondition.Op.LT;
                case "le" -> ArgCondition.Op.LE;
                case "gt" -> ArgCondition.Op.GT;
                case "ge" -> ArgCondition.Op.GE;
                default -> throw new SeccompFilterException(at + ".op must be eq, ne, lt, le, gt, ge or {\"masked_eq\": MASK}, not " + op);
            };
            return ArgCondition.of(index.intValue(), width, o, value);
        } catch (SeccompFilterException e) {
            throw e.getMessage().startsWith(at) ? e : new SeccompFilterException(at + ": " + e.getMessage());
        }
    }

    private static SeccompAction action(JsonNode n, String at) {
        if (n.isTextual()) {
            return switch (n.asText()) {
                case "allow" -> SeccompAction.ALLOW;
                case "kill_process" -> SeccompAction.KILL_PROCESS;
                case "kill_thread" -> SeccompAction.KILL_THREAD;
                case "trap" -> SeccompAction.TRAP;
                case "log" -> SeccompAction.LOG;
                default -> throw new SeccompFilterException(at + " must be allow, kill_process, kill_thread, trap, log or {\"errno\": N}, not \"" + n.asText() + "\"");
            };
        }
        if (n.isObject() && n.size() == 1 && n.has("errno")) {
            JsonNode e = n.get("errno");
            if (!e.isIntegralNumber() || e.bigIntegerValue().signum() < 0 || e.bigIntegerValue().compareTo(BigInteger.valueOf(4095)) > 0) {
                throw new SeccompFilterException(at + ".errno must be an errno number 0..4095 (e.g. 1 for EPERM), not " + e);
            }
            return SeccompAction.errno(e.intValue());
        }
        throw new SeccompFilterException(at + " must be allow, kill_process, kill_thread, trap, log or {\"errno\": N}, not " + n);
    }

    private static long u64(JsonNode n, String at) {
        if (!n.isIntegralNumber()) {
            throw new SeccompFilterException(at + " must be an integer, not " + n);
        }
        BigInteger v = n.bigIntegerValue();
        if (v.compareTo(I64_MIN) < 0 || v.compareTo(U64_MAX) > 0) {
            throw new SeccompFilterException(at + " " + v + " does not fit in 64 bits");
        }
        return v.longValue();
    }

    private static JsonNode required(JsonNode n, String at, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new SeccompFilterException((at.isEmpty() ? "" : at + ".") + field + " is missing");
        }
        return v;
    }

    private static void onlyFields(JsonNode n, String at, Set<String> allowed) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new SeccompFilterException((at.isEmpty() ? "" : at + ": ") + "unknown field \"" + f + "\" (expected one of " + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }
}
