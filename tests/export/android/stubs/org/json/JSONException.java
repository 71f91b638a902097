package org.json;

/** As on Android: a checked exception for a missing key or a value of the wrong type. */
public class JSONException extends Exception {
    public JSONException(String message) { super(message); }
}
