package org.json;

import java.util.List;

/** Stub of Android's org.json.JSONArray over parsed values. */
public class JSONArray {
    final List<Object> values;

    JSONArray(List<Object> values) { this.values = values; }

    public int length() { return values.size(); }

    private Object get(int index) throws JSONException {
        if (index < 0 || index >= values.size()) throw new JSONException("Index " + index + " out of range");
        return values.get(index);
    }

    public int getInt(int index) throws JSONException { return JSONObject.toNumber(get(index), "" + index).intValue(); }
    public double getDouble(int index) throws JSONException { return JSONObject.toNumber(get(index), "" + index).doubleValue(); }
    public String getString(int index) throws JSONException { return String.valueOf(get(index)); }

    public JSONObject getJSONObject(int index) throws JSONException { return JSONObject.cast(get(index), JSONObject.class, "" + index); }
    public JSONArray getJSONArray(int index) throws JSONException { return JSONObject.cast(get(index), JSONArray.class, "" + index); }
}
