package org.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stub of Android's org.json.JSONObject: a small JSON parser and the accessors with Android's
 * semantics (get* throw JSONException for a missing key or a wrong type, opt* fall back).
 */
public class JSONObject {
    final Map<String, Object> values;

    JSONObject(Map<String, Object> values) { this.values = values; }

    public JSONObject(String json) throws JSONException {
        Parser parser = new Parser(json);
        Object value = parser.value();
        parser.end();
        if (!(value instanceof JSONObject)) throw new JSONException("Value is not a JSONObject");
        this.values = ((JSONObject) value).values;
    }

    public boolean has(String name) { return values.containsKey(name); }

    private Object get(String name) throws JSONException {
        if (!values.containsKey(name)) throw new JSONException("No value for " + name);
        return values.get(name);
    }

    static Number toNumber(Object value, String name) throws JSONException {
        if (value instanceof Number) return (Number) value;
        if (value instanceof String) {
            try { return Double.parseDouble((String) value); } catch (NumberFormatException e) { /* below */ }
        }
        throw new JSONException("Value " + value + " at " + name + " is not a number");
    }

    static <T> T cast(Object value, Class<T> type, String name) throws JSONException {
        if (!type.isInstance(value)) throw new JSONException("Value at " + name + " is not a " + type.getSimpleName());
        return type.cast(value);
    }

    public JSONObject getJSONObject(String name) throws JSONException { return cast(get(name), JSONObject.class, name); }
    public JSONArray getJSONArray(String name) throws JSONException { return cast(get(name), JSONArray.class, name); }

    public String getString(String name) throws JSONException {
        Object value = get(name);
        if (value == null) throw new JSONException("Value at " + name + " is null");
        return String.valueOf(value);
    }

    public int getInt(String name) throws JSONException { return toNumber(get(name), name).intValue(); }
    public double getDouble(String name) throws JSONException { return toNumber(get(name), name).doubleValue(); }

    public JSONObject optJSONObject(String name) {
        Object value = values.get(name);
        return value instanceof JSONObject ? (JSONObject) value : null;
    }

    public int optInt(String name, int fallback) {
        Object value = values.get(name);
        return value instanceof Number ? ((Number) value).intValue() : fallback;
    }

    public double optDouble(String name, double fallback) {
        Object value = values.get(name);
        return value instanceof Number ? ((Number) value).doubleValue() : fallback;
    }

    public String optString(String name, String fallback) {
        Object value = values.get(name);
        return value == null ? fallback : String.valueOf(value);
    }

    /** Recursive-descent JSON parser producing JSONObject / JSONArray / Number / String / Boolean / null. */
    private static final class Parser {
        private final String text;
        private int at;

        Parser(String text) { this.text = text; }

        private void skip() { while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++; }

        private JSONException error(String what) { return new JSONException(what + " at character " + at); }

        void end() throws JSONException { skip(); if (at != text.length()) throw error("Trailing text"); }

        Object value() throws JSONException {
            skip();
            if (at >= text.length()) throw error("Unexpected end");
            char c = text.charAt(at);
            if (c == '{') return object();
            if (c == '[') return array();
            if (c == '"') return string();
            if (text.startsWith("true", at)) { at += 4; return Boolean.TRUE; }
            if (text.startsWith("false", at)) { at += 5; return Boolean.FALSE; }
            if (text.startsWith("null", at)) { at += 4; return null; }
            return number();
        }

        private JSONObject object() throws JSONException {
            Map<String, Object> map = new LinkedHashMap<>();
            at++;
            skip();
            if (text.charAt(at) == '}') { at++; return new JSONObject(map); }
            while (true) {
                skip();
                String key = string();
                skip();
                if (text.charAt(at++) != ':') throw error("Expected ':'");
                map.put(key, value());
                skip();
                char c = text.charAt(at++);
                if (c == '}') return new JSONObject(map);
                if (c != ',') throw error("Expected ',' or '}'");
            }
        }

        private JSONArray array() throws JSONException {
            List<Object> list = new ArrayList<>();
            at++;
            skip();
            if (text.charAt(at) == ']') { at++; return new JSONArray(list); }
            while (true) {
                list.add(value());
                skip();
                char c = text.charAt(at++);
                if (c == ']') return new JSONArray(list);
                if (c != ',') throw error("Expected ',' or ']'");
            }
        }

        private String string() throws JSONException {
            if (text.charAt(at) != '"') throw error("Expected a string");
            StringBuilder out = new StringBuilder();
            at++;
            while (true) {
                char c = text.charAt(at++);
                if (c == '"') return out.toString();
                if (c != '\\') { out.append(c); continue; }
                char e = text.charAt(at++);
                switch (e) {
                    case 'n': out.append('\n'); break;
                    case 't': out.append('\t'); break;
                    case 'r': out.append('\r'); break;
                    case 'b': out.append('\b'); break;
                    case 'f': out.append('\f'); break;
                    case 'u': out.append((char) Integer.parseInt(text.substring(at, at + 4), 16)); at += 4; break;
                    default: out.append(e);
                }
            }
        }

        private Number number() throws JSONException {
            int start = at;
            while (at < text.length() && "+-0123456789.eE".indexOf(text.charAt(at)) >= 0) at++;
            String token = text.substring(start, at);
            if (token.isEmpty()) throw error("Unexpected character");
            if (token.matches("-?\\d+")) return Long.parseLong(token);
            return Double.parseDouble(token);
        }
    }
}
