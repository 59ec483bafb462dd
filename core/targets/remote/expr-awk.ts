/**
 * Conditions evaluated on a cluster, where there is a POSIX shell and awk but no Node: the
 * core's parsed expression (core/model/expr.ts) written out as a small program of lines, and
 * an awk evaluator that gives the same answers as the core's, under the same strict rules
 * (test/model/expr-cases.ts runs one table against both). Values are JSON scalars; a list or
 * a mapping, or a string with escapes other than \" \\ \/ \n \t, is outside what the cluster
 * decides: it answers `unknown`, and the decision waits for Flotilla.
 *
 * Program lines (the root last): `L n NUMBER`, `L s TEXT` (escaped: \\ and \n), `L b 1|0`,
 * `L z` (null), `N KEY` (a name), `U not|neg CHILD`, `B OP LEFT RIGHT` (children by line number).
 * Facts, one per line: `KEY<TAB>VALUE` with VALUE as a values file writes it (JSON or text).
 * Answer: `value n|s|b|z VALUE`, `error MESSAGE` or `unknown WHY`.
 */
import type { Expr } from '../../model/expr.ts';
import { escapeField } from './protocol.ts';

/** An expression as the awk evaluator reads it; names become keys (their paths joined with `.`). */
export function awkProgram(expr: Expr): string {
  const lines: string[] = [];
  const emit = (node: Expr): number => {
    switch (node.kind) {
      case 'literal': {
        const value = node.value;
        if (value === null) lines.push('L z');
        else if (typeof value === 'boolean') lines.push(`L b ${value ? 1 : 0}`);
        else if (typeof value === 'number') lines.push(`L n ${numberText(value)}`);
        else lines.push(`L s ${escapeField(String(value))}`);
        break;
      }
      case 'name':
        lines.push(`N ${nameKey(node.path)}`);
        break;
      case 'not':
      case 'negate': {
        const child = emit(node.operand);
        lines.push(`U ${node.kind === 'not' ? 'not' : 'neg'} ${child}`);
        break;
      }
      case 'binary': {
        const left = emit(node.left);
        const right = emit(node.right);
        lines.push(`B ${node.op} ${left} ${right}`);
        break;
      }
    }
    return lines.length;
  };
  emit(expr);
  return `${lines.join('\n')}\n`;
}

/**
 * The key a name is looked up by in the facts: its path, plain parts joined with `.`, an index
 * as `[i]`, any other part as `["…"]` (JSON): two names never share a key, and none holds a tab
 * or a newline.
 */
export function nameKey(path: readonly (string | number)[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? (i === 0 ? part : `.${part}`) : `[${JSON.stringify(part)}]`)).join('');
}

function numberText(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(17);
}

/**
 * The evaluator: `awk -f THIS PROGRAM FACTS` (run with LC_ALL=C, so strings compare by byte,
 * which for UTF-8 is by code point, as the core compares them; a values file that is not
 * UTF-8 is left to Flotilla: see ahead.ts).
 */
export const AWK_EVALUATOR = String.raw`
function unescape(text,   out, i, c) {
  out = ""
  for (i = 1; i <= length(text); i++) {
    c = substr(text, i, 1)
    if (c == "\\" && i < length(text)) { i++; c = substr(text, i, 1); if (c == "n") c = "\n" }
    out = out c
  }
  return out
}
# A value as a values file writes it: JSON scalars typed, other JSON outside the subset, else text.
function typed(raw, key,   t, inner, i, c, out) {
  t = raw; sub(/^[ \t]+/, "", t); sub(/[ \t\r]+$/, "", t)
  if (t == "true") { T[key] = "b"; V[key] = 1; return }
  if (t == "false") { T[key] = "b"; V[key] = 0; return }
  if (t == "null") { T[key] = "z"; V[key] = ""; return }
  if (t ~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) {
    if (t + 0 > 1.7976931348623157e308 || t + 0 < -1.7976931348623157e308) { T[key] = "x"; return }
    T[key] = "n"; V[key] = t + 0; return
  }
  if (t ~ /^[\[{]/) { T[key] = "x"; return }
  if (t ~ /^".*"$/) {
    inner = substr(t, 2, length(t) - 2); out = ""
    for (i = 1; i <= length(inner); i++) {
      c = substr(inner, i, 1)
      if (c == "\"") { T[key] = "x"; return }
      if (c == "\\") {
        i++; c = substr(inner, i, 1)
        if (c == "n") c = "\n"; else if (c == "t") c = "\t"; else if (c != "\"" && c != "\\" && c != "/") { T[key] = "x"; return }
      }
      out = out c
    }
    T[key] = "s"; V[key] = out; return
  }
  T[key] = "s"; V[key] = t
}
function fail(message) { if (!done) { done = 1; answer = "error " message } }
function outside(why) { if (!done) { done = 1; answer = "unknown " why } }
function show(t, v) { return t == "z" ? "null" : t == "b" ? (v ? "true" : "false") : t == "n" ? sprintf("%.17g", v) : "\"" v "\"" }
function truth(t, v, what) { if (t != "b") fail(what " needs true or false, not " show(t, v)); return v }
function num(t, v, what) { if (t != "n") fail("'" what "' needs numbers, not " show(t, v)); return v }
function finite(r, op) { if (r != r || r > 1.7976931348623157e308 || r < -1.7976931348623157e308) fail("'" op "' gives a number too large to hold"); return r }
# Evaluates node n into RT (type) and RV (value); after an error or an unknown, the rest is ignored.
function ev(n,   k, lt, lv, a) {
  if (done) return
  k = K[n]
  if (k == "L") { RT = A1[n]; RV = A2[n]; if (RT == "n") RV = RV + 0; else if (RT == "b") RV = RV + 0; return }
  if (k == "N") {
    if (!(A1[n] in T)) { outside("no value for " A1[n]); return }
    if (T[A1[n]] == "x") { outside(A1[n] " is not a number, a string, true, false or null"); return }
    RT = T[A1[n]]; RV = V[A1[n]]; return
  }
  if (k == "U") {
    ev(A2[n]); if (done) return
    if (A1[n] == "not") { RV = !truth(RT, RV, "not"); RT = "b" } else { RV = -num(RT, RV, "-"); RT = "n" }
    return
  }
  a = A1[n]
  ev(A2[n]); if (done) return
  lt = RT; lv = RV
  if (a == "and" || a == "or") {
    truth(lt, lv, a); if (done) return
    if ((a == "and" && !lv) || (a == "or" && lv)) { RT = "b"; RV = lv; return }
    ev(A3[n]); if (done) return
    truth(RT, RV, a); RT = "b"; return
  }
  ev(A3[n]); if (done) return
  # (Strings compare as strings, numbers as numbers: awk would compare "1" and "1.0" as numbers.)
  if (a == "==" || a == "!=") { RV = (lt == RT && (lt == "z" || (lt == "s" ? (lv "" == RV "") : lv == RV))); if (a == "!=") RV = !RV; RT = "b"; return }
  if (a == "<" || a == "<=" || a == ">" || a == ">=") {
    if (!((lt == "n" && RT == "n") || (lt == "s" && RT == "s"))) { fail("'" a "' compares two numbers or two strings, not " show(lt, lv) " and " show(RT, RV)); return }
    if (lt == "s") { lv = lv ""; RV = RV "" }
    if (a == "<") RV = lv < RV; else if (a == "<=") RV = lv <= RV; else if (a == ">") RV = lv > RV; else RV = lv >= RV
    RT = "b"; return
  }
  if (a == "+" && lt == "s" && RT == "s") { RV = lv RV; return }
  num(lt, lv, a); num(RT, RV, a); if (done) return
  if (a == "+") RV = finite(lv + RV, a)
  else if (a == "-") RV = finite(lv - RV, a)
  else if (a == "*") RV = finite(lv * RV, a)
  else { if (RV == 0) { fail("division of " show(lt, lv) " by zero"); return } RV = finite(lv / RV, a) }
  RT = "n"
}
FNR == NR { n++; K[n] = $1; A1[n] = $2; A2[n] = $3; A3[n] = $4; if ($1 == "L" && $2 == "s") { A2[n] = unescape(substr($0, 5)) } if ($1 == "N") { A1[n] = substr($0, 3) } next }
{ tab = index($0, "\t"); if (tab > 0) typed(substr($0, tab + 1), substr($0, 1, tab - 1)) }
END {
  ev(n)
  if (!done) answer = "value " RT " " (RT == "n" ? sprintf("%.17g", RV) : RT == "s" ? RV : RV + 0)
  print answer
}
`;
