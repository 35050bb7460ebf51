package dev.resnet4j.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The restricted unpickler on hand-made opcode sequences. */
class PickleTest {
    /** Records what it is asked to do, allowing only collections.OrderedDict. */
    static final class Recorder implements Pickle.Resolver {
        final List<String> calls = new ArrayList<>();

        @Override
        public boolean allows(Pickle.Global g) {
            return g.toString().equals("collections.OrderedDict");
        }

        @Override
        public Object call(Pickle.Global g, Pickle.Tuple args) {
            calls.add(g.toString());
            return new java.util.LinkedHashMap<>();
        }

        @Override
        public Object build(Object obj, Object state) {
            calls.add("BUILD");
            return obj;
        }

        @Override
        public Object persistentLoad(Object pid) {
            calls.add("persistent " + pid);
            return "storage";
        }
    }

    static Object load(byte[] b, Recorder r) throws FormatException {
        return Pickle.load(new ByteReader(b, "t.pkl"), r);
    }

    static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) {
                out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
            } else {
                out.write((Integer) p);
            }
        }
        return out.toByteArray();
    }

    @Test
    void readsContainersMemoAndScalars() throws FormatException {
        // {'a': [1, -2, 3.5, True, None, 'é'], 'b': <same list via memo>}, protocol 4 style.
        byte[] p = bytes(0x80, 4, 0x95, "\u0010\0\0\0\0\0\0\0", "}", 0x94, "(",
                0x8c, 1, "a", "]", 0x94, "(", "K", 1, "J", "\u00fe\u00ff\u00ff\u00ff", "G", "@\f\0\0\0\0\0\0",
                0x88, "N", 0x8c, 2, "\u00c3\u00a9", "e",
                0x8c, 1, "b", "h", 1, "u", ".");
        @SuppressWarnings("unchecked")
        Map<Object, Object> d = (Map<Object, Object>) load(p, new Recorder());
        List<?> a = (List<?>) d.get("a");
        assertEquals(List.of(1L, -2L, 3.5, true, Pickle.NONE, "é"), a);
        assertTrue(d.get("b") == a, "memo returns the same object");
    }

    @Test
    void bigIntegersAndTuples() throws FormatException {
        byte[] p = bytes(0x80, 2, 0x8a, 10, "\u006c\u00fc\u009c\u0046\u00f9\u0020\u006a\u00a8\u0050\u0019", 0x85, ".");
        Pickle.Tuple t = (Pickle.Tuple) load(p, new Recorder());
        assertEquals(new java.math.BigInteger("1950a86a20f9469cfc6c", 16), t.get(0));
    }

    @Test
    void refusedGlobalNeverReachesTheResolver() {
        Recorder r = new Recorder();
        byte[] p = bytes(0x80, 2, "cos\nsystem\nX", 2, 0, 0, 0, "id", 0x85, "R.");
        FormatException e = assertThrows(FormatException.class, () -> load(p, r));
        assertEquals("t.pkl: pickle global 'os.system' is not allowed in a state dict", e.getMessage());
        assertEquals(List.of(), r.calls);
    }

    @Test
    void refusesUnsupportedOpcodes() {
        for (int op : new int[] {'i', 'o', 0x82, 'P', 0x8f, 0x92, 'S', 'V', 0xff}) {
            byte[] p = bytes(0x80, 2, "(", op, ".");
            FormatException e = assertThrows(FormatException.class, () -> load(p, new Recorder()));
            assertTrue(e.getMessage().startsWith("t.pkl: pickle opcode "), e.getMessage());
            assertTrue(e.getMessage().contains("is not allowed in a state dict"), e.getMessage());
        }
    }

    @Test
    void refusesMalformedStructure() {
        String[][] cases = {
                {"\u0080\u0002.", "STOP with 0 values"},
                {"\u0080\u0002X\u00ff\u00ff\u00ff\u00ff.", "length 4294967295"},
                {"\u0080\u0002h\u0005.", "memo index 5 is read before it is written"},
                {"\u0080\u0002K\u0000K\u0001K\u0002s.", "SETITEM on a int instead of a dict"},
                {"\u0080\u0002}]K\u0001s.", "dict key of type list is not supported"},
                {"\u0080\u0002u.", "MARK expected"},
                {"\u0080\u0002K\u0001", "ends without STOP"},
                {"\u0080\u0002K\u0001K\u0002R.", "REDUCE of a int"},
                {"\u0080\u0002ccollections\nOrderedDict\nK\u0001R.", "arguments are a int instead of a tuple"},
                {"\u0080\u0002\u0095\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u00ff\u007f.", "frame of"},
                {"\u0080\u0002ccollections", "has no newline"},
        };
        for (String[] c : cases) {
            FormatException e = assertThrows(FormatException.class,
                    () -> load(c[0].getBytes(StandardCharsets.ISO_8859_1), new Recorder()), c[1]);
            assertTrue(e.getMessage().contains(c[1]), c[1] + " / " + e.getMessage());
        }
    }

    @Test
    void selfReferenceDoesNotRecurse() throws FormatException {
        // l = []; l.append(l): must load without walking the cycle.
        Object l = load(bytes(0x80, 2, "]q", 0, "h", 0, "a."), new Recorder());
        assertTrue(((List<?>) l).get(0) == l);
    }
}
