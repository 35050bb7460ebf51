package dev.resnet4j.io;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted unpickler: a small stack machine for the opcodes a saved state dict uses,
 * which never executes anything.
 *
 * <p>Python's pickle is a program: GLOBAL names any importable callable and REDUCE calls it.
 * Here GLOBAL resolves only names the {@link Resolver} allows, to inert {@link Global}
 * markers, and REDUCE, NEWOBJ and BUILD ask the resolver to build plain Java values. Any
 * other global or opcode is refused before it has any effect. Sizes are checked against the
 * bytes that remain, so input of n bytes costs O(n) memory and time.
 *
 * <p>Values: None is {@link #NONE}, bool {@link Boolean}, int {@link Long} (or
 * {@link BigInteger} beyond 64 bits), float {@link Double}, str {@link String}, bytes
 * {@code byte[]}, list {@link ArrayList}, tuple {@link Tuple}, dict {@link LinkedHashMap}.
 */
final class Pickle {
    /** Python's None (collections here do not hold Java null). */
    static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };

    /** An allowed global, e.g. {@code collections.OrderedDict}: a name, never a callable. */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** An immutable Python tuple. */
    record Tuple(List<Object> items) {
        Tuple {
            items = Collections.unmodifiableList(items);
        }

        int size() {
            return items.size();
        }

        Object get(int i) {
            return items.get(i);
        }
    }

    /** What a caller allows globals to mean. Methods throw FormatException to refuse. */
    interface Resolver {
        boolean allows(Global g);

        /** REDUCE and NEWOBJ: {@code g(*args)}. */
        Object call(Global g, Tuple args) throws FormatException;

        /** BUILD: sets {@code state} on {@code obj}; returns the object that stays on the stack. */
        Object build(Object obj, Object state) throws FormatException;

        /** BINPERSID: the value a persistent id refers to. */
        Object persistentLoad(Object pid) throws FormatException;
    }

    static final int MAX_MEMO = 1 << 20;
    static final int MAX_STACK = 1 << 20;
    static final int MAX_CONTAINERS = 1 << 22;

    private final ByteReader in;
    private final Resolver resolver;
    private final Map<Long, Object> memo = new HashMap<>();
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private int containers;

    private Pickle(ByteReader in, Resolver resolver) {
        this.in = in;
        this.resolver = resolver;
    }

    /** Reads one pickle starting at the reader's position and leaves the reader after STOP. */
    static Object load(ByteReader in, Resolver resolver) throws FormatException {
        return new Pickle(in, resolver).run();
    }

    private FormatException fail(String fault) {
        return in.fail("pickle " + fault);
    }

    private Object run() throws FormatException {
        while (true) {
            int at = in.position();
            if (in.remaining() == 0) {
                throw fail("ends without STOP (truncated file?)");
            }
            int op = in.u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = in.u8();
                    if (proto > 5) {
                        throw fail("protocol " + proto + " is not supported");
                    }
                }
                case 0x95 -> { // FRAME: a hint about buffering; the length must still make sense
                    long n = in.i64();
                    if (n < 0 || n > in.remaining()) {
                        throw fail("frame of " + n + " bytes at offset " + at + " runs past the end");
                    }
                }
                case '.' -> { // STOP
                    if (!marks.isEmpty()) {
                        throw fail("STOP with an unclosed MARK");
                    }
                    if (stack.size() != 1) {
                        throw fail("STOP with " + stack.size() + " values on the stack instead of 1");
                    }
                    return stack.get(0);
                }
                case '}' -> push(newDict());
                case ']' -> push(newList());
                case ')' -> push(newTuple(new ArrayList<>()));
                case '(' -> {
                    if (marks.size() >= MAX_STACK) {
                        throw fail("too many nested MARKs");
                    }
                    marks.add(stack.size());
                }
                case 'd' -> { // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> d = newDict();
                    setItems(d, items);
                    push(d);
                }
                case 'l' -> { // LIST
                    List<Object> items = popMark();
                    List<Object> l = newList();
                    l.addAll(items);
                    push(l);
                }
                case 'X' -> push(utf8(in.u32()));
                case 0x8c -> push(utf8(in.u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(in.i64())); // BINUNICODE8
                case 'T' -> push(utf8(in.i32())); // BINSTRING (Python 2 str, read as UTF-8 text)
                case 'U' -> push(utf8(in.u8())); // SHORT_BINSTRING
                case 'B' -> push(in.bytes(checkLen(in.u32()), "BINBYTES")); // BINBYTES
                case 'C' -> push(in.bytes(in.u8(), "SHORT_BINBYTES"));
                case 0x8e -> push(in.bytes(checkLen(in.i64()), "BINBYTES8"));
                case 'J' -> push((long) in.i32());
                case 'K' -> push((long) in.u8());
                case 'M' -> push((long) in.u16());
                case 0x8a -> push(longBytes(in.u8())); // LONG1
                case 0x8b -> push(longBytes(checkLen(in.i32()))); // LONG4
                case 'G' -> { // BINFLOAT, big-endian
                    int start = in.skip(8, "BINFLOAT");
                    push(ByteBuffer.wrap(in.buffer(), start, 8).getDouble());
                }
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'N' -> push(NONE);
                case 't' -> push(newTuple(popMark()));
                case 0x85 -> push(newTuple(popN(1)));
                case 0x86 -> push(newTuple(popN(2)));
                case 0x87 -> push(newTuple(popN(3)));
                case 's' -> { // SETITEM
                    List<Object> kv = popN(2);
                    setItems(asDict(top(), "SETITEM"), kv);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    setItems(asDict(top(), "SETITEMS"), items);
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    asList(top(), "APPEND").add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    asList(top(), "APPENDS").addAll(items);
                }
                case 'q' -> put(in.u8());
                case 'r' -> put(in.u32());
                case 0x94 -> put(memo.size()); // MEMOIZE
                case 'h' -> push(get(in.u8()));
                case 'j' -> push(get(in.u32()));
                case '2' -> push(top()); // DUP
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case 'c' -> { // GLOBAL "module\nname\n"
                    String module = line();
                    String name = line();
                    push(global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings");
                    }
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object f = pop();
                    push(resolver.call(asGlobal(f, "REDUCE"), asTuple(args, "REDUCE")));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop();
                    Object cls = pop();
                    push(resolver.call(asGlobal(cls, "NEWOBJ"), asTuple(args, "NEWOBJ")));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    Object obj = pop();
                    push(resolver.build(obj, state));
                }
                case 'Q' -> push(resolver.persistentLoad(pop())); // BINPERSID
                default -> throw fail("opcode " + opcodeName(op) + " at offset " + at
                        + " is not allowed in a state dict");
            }
        }
    }

    private Global global(String module, String name) throws FormatException {
        Global g = new Global(module, name);
        if (!resolver.allows(g)) {
            throw fail("global '" + Json.abbreviate(module) + "." + Json.abbreviate(name)
                    + "' is not allowed in a state dict");
        }
        return g;
    }

    private String line() throws FormatException {
        byte[] b = in.buffer();
        int start = in.position();
        int limit = start + Math.min(in.remaining(), 1024);
        for (int i = start; i < limit; i++) {
            if (b[i] == '\n') {
                String s = in.latin1(i - start, "GLOBAL");
                in.skip(1, "newline");
                return s;
            }
        }
        throw fail("GLOBAL name at offset " + start + " has no newline within 1024 bytes");
    }

    private long checkLen(long n) throws FormatException {
        if (n < 0 || n > in.remaining()) {
            throw fail("length " + n + " at offset " + in.position() + " is larger than the " + in.remaining()
                    + " bytes that remain");
        }
        return n;
    }

    private String utf8(long n) throws FormatException {
        checkLen(n);
        int start = in.skip(n, "string");
        return new String(in.buffer(), start, (int) n, StandardCharsets.UTF_8);
    }

    private Object longBytes(long n) throws FormatException {
        checkLen(n);
        if (n > 256) {
            throw fail("integer of " + n + " bytes is too large");
        }
        int start = in.skip(n, "LONG");
        if (n == 0) {
            return 0L;
        }
        byte[] be = new byte[(int) n];
        for (int i = 0; i < n; i++) {
            be[i] = in.buffer()[start + (int) n - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private void put(long index) throws FormatException {
        if (stack.isEmpty() || stackBase() == stack.size()) {
            throw fail("memo store with an empty stack");
        }
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw fail("memo holds more than " + MAX_MEMO + " entries");
        }
        memo.put(index, top());
    }

    private Object get(long index) throws FormatException {
        Object v = memo.get(index);
        if (v == null) {
            throw fail("memo index " + index + " is read before it is written");
        }
        return v;
    }

    private void push(Object v) throws FormatException {
        if (stack.size() >= MAX_STACK) {
            throw fail("stack deeper than " + MAX_STACK);
        }
        stack.add(v);
    }

    private int stackBase() {
        return marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
    }

    private Object pop() throws FormatException {
        if (stack.size() <= stackBase()) {
            throw fail("stack underflow at offset " + (in.position() - 1));
        }
        return stack.remove(stack.size() - 1);
    }

    private Object top() throws FormatException {
        if (stack.size() <= stackBase()) {
            throw fail("stack underflow at offset " + (in.position() - 1));
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) throws FormatException {
        if (stack.size() - stackBase() < n) {
            throw fail("stack underflow at offset " + (in.position() - 1));
        }
        List<Object> tail = stack.subList(stack.size() - n, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    private List<Object> popMark() throws FormatException {
        if (marks.isEmpty()) {
            throw fail("MARK expected at offset " + (in.position() - 1));
        }
        int base = marks.remove(marks.size() - 1);
        List<Object> tail = stack.subList(base, stack.size());
        List<Object> items = new ArrayList<>(tail);
        tail.clear();
        return items;
    }

    private void countContainer() throws FormatException {
        if (++containers > MAX_CONTAINERS) {
            throw fail("creates more than " + MAX_CONTAINERS + " containers");
        }
    }

    private Map<Object, Object> newDict() throws FormatException {
        countContainer();
        return new LinkedHashMap<>();
    }

    private List<Object> newList() throws FormatException {
        countContainer();
        return new ArrayList<>();
    }

    private Tuple newTuple(List<Object> items) throws FormatException {
        countContainer();
        return new Tuple(items);
    }

    /**
     * Keys must be plain scalars: hashing a list or tuple that contains itself would recurse
     * without end, and a state dict never needs such keys.
     */
    private void setItems(Map<Object, Object> d, List<Object> kv) throws FormatException {
        if (kv.size() % 2 != 0) {
            throw fail("odd number of items for a dict");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (!(k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double
                    || k instanceof BigInteger || k == NONE)) {
                throw fail("dict key of type " + typeName(k) + " is not supported");
            }
            d.put(k, kv.get(i + 1));
        }
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> asDict(Object o, String op) throws FormatException {
        if (o instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw fail(op + " on a " + typeName(o) + " instead of a dict");
    }

    @SuppressWarnings("unchecked")
    private List<Object> asList(Object o, String op) throws FormatException {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw fail(op + " on a " + typeName(o) + " instead of a list");
    }

    private Global asGlobal(Object o, String op) throws FormatException {
        if (o instanceof Global g) {
            return g;
        }
        throw fail(op + " of a " + typeName(o) + ", which is not callable");
    }

    private Tuple asTuple(Object o, String op) throws FormatException {
        if (o instanceof Tuple t) {
            return t;
        }
        throw fail(op + " arguments are a " + typeName(o) + " instead of a tuple");
    }

    static String typeName(Object o) {
        if (o == NONE) {
            return "None";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Long || o instanceof BigInteger) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        if (o instanceof Map) {
            return "dict";
        }
        if (o instanceof List) {
            return "list";
        }
        if (o instanceof Tuple) {
            return "tuple";
        }
        if (o instanceof Global g) {
            return "global " + g;
        }
        return o.getClass().getSimpleName();
    }

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry((int) 'i', "INST"), Map.entry((int) 'o', "OBJ"), Map.entry(0x82, "EXT1"),
            Map.entry(0x83, "EXT2"), Map.entry(0x84, "EXT4"), Map.entry((int) 'P', "PERSID"),
            Map.entry((int) 'I', "INT"), Map.entry((int) 'L', "LONG"), Map.entry((int) 'F', "FLOAT"),
            Map.entry((int) 'S', "STRING"), Map.entry((int) 'V', "UNICODE"), Map.entry((int) 'g', "GET"),
            Map.entry((int) 'p', "PUT"), Map.entry(0x8f, "EMPTY_SET"), Map.entry(0x90, "ADDITEMS"),
            Map.entry(0x91, "FROZENSET"), Map.entry(0x92, "NEWOBJ_EX"), Map.entry(0x96, "BYTEARRAY8"),
            Map.entry(0x97, "NEXT_BUFFER"), Map.entry(0x98, "READONLY_BUFFER"));

    static String opcodeName(int op) {
        String name = NAMES.get(op);
        String hex = String.format("0x%02x", op);
        return name == null ? hex : name + " (" + hex + ")";
    }
}
