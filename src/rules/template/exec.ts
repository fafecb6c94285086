// Executes a parsed template against Go-modelled values, following Go's text/template/exec.go
// (argument typing, missingkey=zero, error texts and the "at <node>" context of each error).

import { formatV } from './go-fmt.js';
import { goQuote } from './go-strconv.js';
import { nodeString, type AnyNode, type ArgNode, type ChainNode, type CommandNode, type ControlNode, type FieldNode, type IdentifierNode, type ListNode, type Node, type NumberNode, type PipeNode, type TemplateNode, type VariableNode } from './nodes.js';
import type { ParsedTemplate } from './parser.js';
import { GoDuration, GoHTML, GoMap, GoSlice, GoStruct, GoTime, typeName, type GoFunc, type ParamType, type Value } from './values.js';

export class TemplateExecError extends Error {
  override readonly name = 'TemplateExecError';
}

/** Our own recursion bound for {{template}}: JS stacks are far smaller than Go's. */
const MAX_TEMPLATE_DEPTH = 1000;

const MISSING = Symbol('missing');
type Final = Value | typeof MISSING;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');

export function goTypeName(t: ParamType): string {
  switch (t) {
    case 'any': return 'interface {}';
    case 'queryResult': return 'template.queryResult';
    case '*sample': return '*template.sample';
    default: return t;
  }
}

function canBeNil(t: ParamType | undefined): boolean {
  return t === undefined || t === 'any' || t === 'reflect.Value' || t === 'queryResult' || t === '*sample';
}

/** Go's isTrue: the truth of a value for if/with/and/or/not. */
export function isTrue(v: Value): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'string': return v.length > 0;
    case 'number': return v !== 0;
    case 'bigint': return v !== 0n;
    case 'boolean': return v;
  }
  if (v instanceof GoHTML) return v.s.length > 0;
  if (v instanceof GoMap) return v.entries.size > 0;
  if (v instanceof GoSlice) return v.elems.length > 0;
  return true;
}

interface Variable {
  readonly name: string;
  value: Value;
}

export function executeTemplate(tpl: ParsedTemplate, data: Value, funcs: ReadonlyMap<string, GoFunc>): string {
  const out: string[] = [];
  let vars: Variable[] = [{ name: '$', value: data }];
  let current: AnyNode | undefined;
  let tmplName = tpl.name;
  let depth = 0;

  const at = (n: AnyNode): void => {
    current = n;
  };

  const errorf = (msg: string): never => {
    if (current === undefined) throw new TemplateExecError(`template: ${tmplName}: ${msg}`);
    const before = tpl.text.slice(0, current.pos);
    const nl = before.lastIndexOf('\n');
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    const col = Buffer.byteLength(nl < 0 ? before : before.slice(nl + 1));
    throw new TemplateExecError(
      `template: ${tpl.name}:${line}:${col}: executing ${goQuote(tmplName)} at <${nodeString(current)}>: ${msg}`,
    );
  };

  const varValue = (name: string): Value => {
    for (let i = vars.length - 1; i >= 0; i--) {
      const v = vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    return errorf(`undefined variable: ${name}`);
  };
  const setVar = (name: string, value: Value): void => {
    for (let i = vars.length - 1; i >= 0; i--) {
      const v = vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    errorf(`undefined variable: ${name}`);
  };
  const setTopVar = (n: number, value: Value): void => {
    const v = vars[vars.length - n];
    if (v) v.value = value;
  };

  const validateType = (value: Value, typ: ParamType | undefined): Value => {
    if (value === undefined || value === null) {
      if (canBeNil(typ)) return typ === undefined ? undefined : null;
      return errorf(`invalid value; expected ${goTypeName(typ as ParamType)}`);
    }
    if (typ === undefined || typ === 'any' || typ === 'reflect.Value') return value;
    let ok: boolean;
    switch (typ) {
      case 'string': ok = typeof value === 'string'; break;
      case 'float64': ok = typeof value === 'number'; break;
      case 'int': ok = typeof value === 'bigint'; break;
      case 'bool': ok = typeof value === 'boolean'; break;
      case 'queryResult': ok = value instanceof GoSlice && value.typeName === 'template.queryResult'; break;
      case '*sample': ok = value instanceof GoStruct && value.typeName === '*template.sample'; break;
    }
    if (!ok) errorf(`wrong type for value; expected ${goTypeName(typ)}; got ${typeName(value)}`);
    return value;
  };

  const notAFunction = (args: readonly ArgNode[] | undefined, final: Final): void => {
    if ((args !== undefined && args.length > 1) || final !== MISSING) {
      errorf(`can't give argument to non-function ${args?.[0] ? nodeString(args[0]) : ''}`);
    }
  };

  const idealConstant = (n: NumberNode): Value => {
    at(n);
    const runeOrHex = n.text.startsWith("'") || /^[+-]?0[xX]/.test(n.text) && !/[pP]/.test(n.text);
    if (n.float !== undefined && !runeOrHex && /[.eEpP]/.test(n.text)) return n.float;
    if (n.int !== undefined) return n.int;
    return errorf(`${n.text} overflows int`);
  };

  function evalEmptyInterface(dot: Value, n: ArgNode): Value {
    at(n);
    switch (n.kind) {
      case 'bool': return n.value;
      case 'dot': return dot;
      case 'field': return evalFieldNode(dot, n, undefined, MISSING);
      case 'identifier': return evalFunction(dot, n, n, undefined, MISSING);
      case 'nil': return errorf("evalEmptyInterface: nil (can't happen)");
      case 'number': return idealConstant(n);
      case 'string': return n.text;
      case 'variable': return evalVariableNode(dot, n, undefined, MISSING);
      case 'pipe': return evalPipeline(dot, n);
      case 'chain': return evalChainNode(dot, n, undefined, MISSING);
    }
  }

  function evalArg(dot: Value, typ: ParamType | undefined, n: ArgNode): Value {
    at(n);
    switch (n.kind) {
      case 'dot': return validateType(dot, typ);
      case 'nil':
        if (canBeNil(typ)) return null;
        return errorf(`cannot assign nil to ${goTypeName(typ as ParamType)}`);
      case 'field': return validateType(evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable': return validateType(evalVariableNode(dot, n, undefined, MISSING), typ);
      case 'pipe': return validateType(evalPipeline(dot, n), typ);
      case 'identifier': return validateType(evalFunction(dot, n, n, undefined, MISSING), typ);
      case 'chain': return validateType(evalChainNode(dot, n, undefined, MISSING), typ);
      default: break;
    }
    switch (typ) {
      case 'bool':
        if (n.kind === 'bool') return n.value;
        return errorf(`expected bool; found ${nodeString(n)}`);
      case 'float64':
        if (n.kind === 'number' && n.float !== undefined) return n.float;
        return errorf(`expected float; found ${nodeString(n)}`);
      case 'int':
        if (n.kind === 'number' && n.int !== undefined) return n.int;
        return errorf(`expected integer; found ${nodeString(n)}`);
      case 'string':
        if (n.kind === 'string') return n.text;
        return errorf(`expected string; found ${nodeString(n)}`);
      case undefined:
      case 'any':
      case 'reflect.Value':
        return evalEmptyInterface(dot, n);
      default:
        return errorf(`can't handle ${nodeString(n)} for arg of type ${goTypeName(typ)}`);
    }
  }

  function evalCall(dot: Value, fn: GoFunc, node: AnyNode, name: string, args: readonly ArgNode[] | undefined, final: Final): Value {
    const argNodes = args ? args.slice(1) : [];
    const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
    let numFixed = argNodes.length;
    if (fn.variadic !== undefined) {
      numFixed = fn.params.length;
      if (numIn < numFixed) errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${argNodes.length}`);
    } else if (numIn !== fn.params.length) {
      errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
    }
    if (fn.shortCircuit !== undefined) {
      let v: Value;
      for (const a of argNodes) {
        v = evalArg(dot, 'reflect.Value', a);
        if (isTrue(v) === (fn.shortCircuit === 'or')) return v;
      }
      if (final !== MISSING) v = final;
      return v;
    }
    const argv: Value[] = [];
    let i = 0;
    for (; i < numFixed && i < argNodes.length; i++) argv.push(evalArg(dot, fn.params[i], argNodes[i] as ArgNode));
    if (fn.variadic !== undefined) {
      for (; i < argNodes.length; i++) argv.push(evalArg(dot, fn.variadic, argNodes[i] as ArgNode));
    }
    if (final !== MISSING) {
      let t: ParamType | undefined = fn.params[fn.params.length - 1];
      if (fn.variadic !== undefined) t = numIn - 1 < numFixed ? fn.params[numIn - 1] : fn.variadic;
      argv.push(validateType(final, t));
    }
    try {
      return fn.call(argv);
    } catch (e) {
      if (e instanceof TemplateExecError) throw e;
      at(node);
      return errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  function evalFunction(dot: Value, node: IdentifierNode, cmd: AnyNode, args: readonly ArgNode[] | undefined, final: Final): Value {
    at(node);
    const fn = funcs.get(node.ident);
    if (fn === undefined) return errorf(`${goQuote(node.ident)} is not a defined function`);
    return evalCall(dot, fn, cmd, node.ident, args, final);
  }

  function evalField(dot: Value, fieldName: string, node: AnyNode, args: readonly ArgNode[] | undefined, final: Final, receiver: Value): Value {
    if (receiver === undefined || receiver === null) return undefined;
    if (receiver instanceof GoTime || receiver instanceof GoDuration) {
      const m = receiver.method(fieldName);
      if (m !== undefined) return evalCall(dot, m, node, fieldName, args, final);
    }
    const hasArgs = (args !== undefined && args.length > 1) || final !== MISSING;
    if (receiver instanceof GoStruct && receiver.fields.has(fieldName)) {
      if (hasArgs) errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return receiver.fields.get(fieldName);
    }
    if (receiver instanceof GoMap) {
      if (hasArgs) errorf(`${fieldName} is not a method but has arguments`);
      return receiver.entries.has(fieldName) ? receiver.entries.get(fieldName) : receiver.zero;
    }
    return errorf(`can't evaluate field ${fieldName} in type ${typeName(receiver)}`);
  }

  function evalFieldChain(dot: Value, receiver: Value, node: AnyNode, ident: readonly string[], args: readonly ArgNode[] | undefined, final: Final): Value {
    let r = receiver;
    for (let i = 0; i < ident.length - 1; i++) r = evalField(dot, ident[i] as string, node, undefined, MISSING, r);
    return evalField(dot, ident[ident.length - 1] as string, node, args, final, r);
  }

  function evalFieldNode(dot: Value, field: FieldNode, args: readonly ArgNode[] | undefined, final: Final): Value {
    at(field);
    return evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  function evalChainNode(dot: Value, chain: ChainNode, args: readonly ArgNode[] | undefined, final: Final): Value {
    at(chain);
    if (chain.node.kind === 'nil') errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = evalArg(dot, undefined, chain.node);
    return evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  function evalVariableNode(dot: Value, v: VariableNode, args: readonly ArgNode[] | undefined, final: Final): Value {
    at(v);
    const value = varValue(v.ident[0] as string);
    if (v.ident.length === 1) {
      notAFunction(args, final);
      return value;
    }
    return evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  function evalCommand(dot: Value, cmd: CommandNode, final: Final): Value {
    const first = cmd.args[0] as ArgNode;
    switch (first.kind) {
      case 'field': return evalFieldNode(dot, first, cmd.args, final);
      case 'chain': return evalChainNode(dot, first, cmd.args, final);
      case 'identifier': return evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        notAFunction(cmd.args, final);
        return evalPipeline(dot, first);
      case 'variable': return evalVariableNode(dot, first, cmd.args, final);
      default: break;
    }
    at(first);
    notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': return errorf('nil is not a command');
      case 'number': return idealConstant(first);
      case 'string': return first.text;
    }
  }

  function evalPipeline(dot: Value, pipe: PipeNode | undefined): Value {
    if (pipe === undefined) return undefined;
    at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = evalCommand(dot, cmd, value);
      // A nil interface{} result is "no value" for whatever comes next (Go unwraps interfaces here).
      if (value === null) value = undefined;
    }
    const result = value === MISSING ? undefined : value;
    for (const d of pipe.decl) {
      const name = d.ident[0] as string;
      if (pipe.isAssign) setVar(name, result);
      else vars.push({ name, value: result });
    }
    return result;
  }

  function printValue(n: AnyNode, v: Value): void {
    at(n);
    out.push(v === undefined || v === null ? '<no value>' : formatV(v, 0));
  }

  function walkIfOrWith(dot: Value, n: ControlNode): void {
    const mark = vars.length;
    try {
      const val = evalPipeline(dot, n.pipe);
      if (isTrue(val)) walk(n.kind === 'with' ? val : dot, n.list);
      else if (n.elseList) walk(dot, n.elseList);
    } finally {
      vars.length = mark;
    }
  }

  function walkRange(dot: Value, r: ControlNode): void {
    at(r);
    const outerMark = vars.length;
    try {
      const val = evalPipeline(dot, r.pipe);
      const mark = vars.length;
      const decl = r.pipe.decl;
      const oneIteration = (index: Value, elem: Value): void => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) setVar((decl.length > 1 ? decl[0] : decl[0])?.ident[0] as string, decl.length > 1 ? index : elem);
          else setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) setVar(decl[1]?.ident[0] as string, elem);
          else setTopVar(2, index);
        }
        try {
          walk(elem, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          vars.length = mark;
        }
      };
      if (val instanceof GoSlice) {
        if (val.elems.length > 0) {
          val.elems.forEach((e, i) => oneIteration(BigInt(i), e));
          return;
        }
      } else if (val instanceof GoMap) {
        if (val.entries.size > 0) {
          for (const k of val.sortedKeys()) oneIteration(k, val.entries.get(k));
          return;
        }
      } else if (typeof val === 'bigint') {
        if (decl.length > 1) errorf(`can't use ${val} to iterate over more than one variable`);
        if (val > 0n) {
          for (let i = 0n; i < val; i++) oneIteration(i, i);
          return;
        }
      } else if (val !== undefined && val !== null) {
        errorf(`range can't iterate over ${formatV(val, 0)}`);
      }
      if (r.elseList) walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      vars.length = outerMark;
    }
  }

  function walkTemplate(dot: Value, t: TemplateNode): void {
    at(t);
    const tree = tpl.trees.get(t.name);
    if (tree === undefined) errorf(`template ${goQuote(t.name)} not defined`);
    if (depth >= MAX_TEMPLATE_DEPTH) errorf(`exceeded maximum template depth (${MAX_TEMPLATE_DEPTH})`);
    const newDot = evalPipeline(dot, t.pipe);
    const saved = { vars, tmplName, depth };
    vars = [{ name: '$', value: newDot }];
    tmplName = t.name;
    depth++;
    try {
      walk(newDot, tree as ListNode);
    } finally {
      ({ vars, tmplName, depth } = saved);
    }
  }

  function walk(dot: Value, node: Node): void {
    at(node);
    switch (node.kind) {
      case 'action': {
        const val = evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) printValue(node, val);
        return;
      }
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'if':
      case 'with': return walkIfOrWith(dot, node);
      case 'list':
        for (const n of node.nodes) walk(dot, n);
        return;
      case 'range': return walkRange(dot, node);
      case 'template': return walkTemplate(dot, node);
      case 'text':
        out.push(node.text);
        return;
    }
  }

  const root = tpl.trees.get(tpl.name);
  if (root === undefined) throw new TemplateExecError(`template: ${tpl.name}: ${goQuote(tpl.name)} is an incomplete or empty template`);
  walk(data, root);
  return out.join('');
}
