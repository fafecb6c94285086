// Parser for the Go text/template subset: builds a tree per template (the main one plus
// each {{define}}/{{block}}), following Go's text/template/parse/parse.go and its error texts.

import { isKeyword, lex, type Item, type ItemType } from './lexer.js';
import { goQuote, goUnquote, parseGoFloatLiteral, parseGoInt, SyntaxError_ } from './go-strconv.js';
import type {
  ArgNode, CommandNode, ControlNode, ListNode, Node, NumberNode, PipeNode, TemplateNode, VariableNode,
} from './nodes.js';

export class TemplateParseError extends Error {
  override readonly name = 'TemplateParseError';
}

export interface ParsedTemplate {
  /** Template name, as Go's ParseName: used in every error message. */
  readonly name: string;
  readonly text: string;
  /** The main template under `name`, plus one entry per defined template. */
  readonly trees: ReadonlyMap<string, ListNode>;
}

type EndMarker = { readonly kind: 'end'; readonly pos: number } | { readonly kind: 'else'; readonly pos: number };

/** Go's item.String(), used in "unexpected X in Y" messages. */
function itemString(it: Item): string {
  if (it.typ === 'eof') return 'EOF';
  if (it.typ === 'error') return it.val;
  if (isKeyword(it.typ)) return `<${it.val}>`;
  const runes = [...it.val];
  if (runes.length > 10) return `${goQuote(runes.slice(0, 10).join(''))}...`;
  return goQuote(it.val);
}

export function parseTemplate(name: string, text: string, hasFunction: (fn: string) => boolean): ParsedTemplate {
  const items = lex(text);
  const trees = new Map<string, ListNode>();
  let cursor = 0;
  let highWater = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;

  const fetch = (i: number): Item => {
    const it = items[Math.min(i, items.length - 1)];
    if (it === undefined) throw new Error('internal error: empty token stream');
    if (i > highWater) highWater = i;
    return it;
  };
  const next = (): Item => fetch(cursor++);
  const backup = (): void => {
    cursor--;
  };
  const peek = (): Item => fetch(cursor);
  const nextNonSpace = (): Item => {
    let it = next();
    while (it.typ === 'space') it = next();
    return it;
  };
  const peekNonSpace = (): Item => {
    const it = nextNonSpace();
    backup();
    return it;
  };
  const errorf = (msg: string): never => {
    const line = (items[Math.min(highWater, items.length - 1)] as Item).line;
    throw new TemplateParseError(`template: ${name}:${line}: ${msg}`);
  };
  const unexpected = (it: Item, context: string): never => {
    if (it.typ === 'error') return errorf(it.val);
    return errorf(`unexpected ${itemString(it)} in ${context}`);
  };
  const expect = (typ: ItemType, context: string): Item => {
    const it = nextNonSpace();
    if (it.typ !== typ) unexpected(it, context);
    return it;
  };
  const unquote = (lit: string): string => {
    try {
      return goUnquote(lit);
    } catch (e) {
      if (e instanceof SyntaxError_) return errorf(e.message);
      throw e;
    }
  };
  const addTree = (treeName: string, root: ListNode): void => {
    const existing = trees.get(treeName);
    if (existing === undefined || isEmptyTree(existing)) {
      trees.set(treeName, root);
      return;
    }
    if (!isEmptyTree(root)) errorf(`template: multiple definition of template ${goQuote(treeName)}`);
  };

  const newNumber = (it: Item): NumberNode => {
    const t = it.val;
    if (it.typ === 'charConstant') {
      const s = unquote(t);
      const cp = s.codePointAt(0) ?? 0;
      return { kind: 'number', pos: it.pos, text: t, int: BigInt(cp), float: cp };
    }
    if (t.endsWith('i')) return errorf(`complex numbers are not supported: ${goQuote(t)}`);
    const i = parseGoInt(t);
    if (i !== undefined) return { kind: 'number', pos: it.pos, text: t, int: i, float: Number(i) };
    const f = parseGoFloatLiteral(t);
    if (f !== undefined && Number.isFinite(f)) {
      if (!/[.eEpP]/.test(t)) return errorf(`integer overflow: ${goQuote(t)}`);
      const asInt = Number.isInteger(f) && Math.abs(f) < 2 ** 63 ? BigInt(f) : undefined;
      return { kind: 'number', pos: it.pos, text: t, int: asInt, float: f };
    }
    return errorf(`illegal number syntax: ${goQuote(t)}`);
  };

  const useVar = (pos: number, val: string): VariableNode => {
    const ident = val.split('.');
    const head = ident[0] ?? '';
    if (!vars.includes(head)) errorf(`undefined variable ${goQuote(head)}`);
    return { kind: 'variable', pos, ident };
  };

  const term = (): ArgNode | undefined => {
    const it = nextNonSpace();
    switch (it.typ) {
      case 'error': return errorf(it.val);
      case 'identifier':
        if (!hasFunction(it.val)) errorf(`function ${goQuote(it.val)} not defined`);
        return { kind: 'identifier', pos: it.pos, ident: it.val };
      case 'dot': return { kind: 'dot', pos: it.pos };
      case 'nil': return { kind: 'nil', pos: it.pos };
      case 'variable': return useVar(it.pos, it.val);
      case 'field': return { kind: 'field', pos: it.pos, ident: it.val.slice(1).split('.') };
      case 'bool': return { kind: 'bool', pos: it.pos, value: it.val === 'true' };
      case 'charConstant':
      case 'number': return newNumber(it);
      case 'leftParen': {
        const p = pipeline('parenthesized pipeline', 'rightParen');
        return p;
      }
      case 'string':
      case 'rawString': return { kind: 'string', pos: it.pos, quoted: it.val, text: unquote(it.val) };
      default:
        backup();
        return undefined;
    }
  };

  const operand = (): ArgNode | undefined => {
    let node = term();
    if (node === undefined) return undefined;
    if (peek().typ === 'field') {
      const chainPos = peek().pos;
      const fields: string[] = [];
      while (peek().typ === 'field') fields.push(next().val.slice(1));
      switch (node.kind) {
        case 'field':
          node = { kind: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case 'variable':
          node = { kind: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
          break;
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot': {
          const s = node.kind === 'bool' ? String(node.value) : node.kind === 'string' ? node.quoted
            : node.kind === 'number' ? node.text : node.kind === 'nil' ? 'nil' : '.';
          return errorf(`unexpected . after term ${goQuote(s)}`);
        }
        default:
          node = { kind: 'chain', pos: chainPos, node, field: fields };
      }
    }
    return node;
  };

  const command = (): CommandNode => {
    const cmd: CommandNode = { kind: 'command', pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const op = operand();
      if (op !== undefined) cmd.args.push(op);
      const it = next();
      if (it.typ === 'space') continue;
      if (it.typ === 'error') errorf(it.val);
      else if (it.typ === 'rightDelim' || it.typ === 'rightParen') backup();
      else if (it.typ !== 'pipe') errorf(`unexpected ${itemString(it)} in operand`);
      break;
    }
    if (cmd.args.length === 0) errorf('empty command');
    return cmd;
  };

  const pipeline = (context: string, end: 'rightDelim' | 'rightParen'): PipeNode => {
    const first = peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: first.pos, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = peekNonSpace();
      if (v.typ !== 'variable') break;
      const vIndex = cursor;
      next();
      const nxt = peekNonSpace();
      if (nxt.typ === 'assign' || nxt.typ === 'declare') {
        pipe.isAssign = nxt.typ === 'assign';
        nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        vars.push(v.val);
        break;
      }
      if (nxt.typ === 'char' && nxt.val === ',') {
        nextNonSpace();
        pipe.decl.push({ kind: 'variable', pos: v.pos, ident: [v.val] });
        vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = peekNonSpace().typ;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          errorf('range can only initialize variables');
        }
        errorf(`too many declarations in ${context}`);
      }
      cursor = vIndex;
      break;
    }
    for (;;) {
      const it = nextNonSpace();
      if (it.typ === end) {
        if (pipe.cmds.length === 0) errorf(`missing value for ${context}`);
        pipe.cmds.slice(1).forEach((c, i) => {
          const k = c.args[0]?.kind;
          if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
            errorf(`non executable command in pipeline stage ${i + 2}`);
          }
        });
        return pipe;
      }
      switch (it.typ) {
        case 'bool': case 'charConstant': case 'dot': case 'field': case 'identifier': case 'number':
        case 'nil': case 'rawString': case 'string': case 'variable': case 'leftParen':
          backup();
          pipe.cmds.push(command());
          break;
        default:
          unexpected(it, context);
      }
    }
  };

  const itemList = (): { list: ListNode; next: EndMarker } => {
    const list: ListNode = { kind: 'list', pos: peekNonSpace().pos, nodes: [] };
    while (peekNonSpace().typ !== 'eof') {
      const n = textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return { list, next: n };
      list.nodes.push(n);
    }
    return errorf('unexpected EOF');
  };

  const parseControl = (context: 'if' | 'range' | 'with'): ControlNode => {
    const saved = vars.length;
    try {
      const pipe = pipeline(context, 'rightDelim');
      if (context === 'range') rangeDepth++;
      const body = itemList();
      if (context === 'range') rangeDepth--;
      let elseList: ListNode | undefined;
      if (body.next.kind === 'else') {
        const p = peek().typ;
        if ((context === 'if' && p === 'if') || (context === 'with' && p === 'with')) {
          next();
          elseList = { kind: 'list', pos: body.next.pos, nodes: [parseControl(context)] };
        } else {
          const e = itemList();
          if (e.next.kind !== 'end') errorf(`expected end; found {{else}}`);
          elseList = e.list;
        }
      }
      return { kind: context, pos: pipe.pos, pipe, list: body.list, elseList };
    } finally {
      vars = vars.slice(0, saved);
    }
  };

  const parseTemplateName = (it: Item, context: string): string => {
    if (it.typ === 'string' || it.typ === 'rawString') return unquote(it.val);
    return unexpected(it, context);
  };

  const withFreshVars = <T>(fn: () => T): T => {
    const savedVars = vars;
    const savedDepth = rangeDepth;
    vars = ['$'];
    rangeDepth = 0;
    try {
      return fn();
    } finally {
      vars = savedVars;
      rangeDepth = savedDepth;
    }
  };

  const action = (): Node | EndMarker => {
    const it = nextNonSpace();
    switch (it.typ) {
      case 'block': {
        const context = 'block clause';
        const nameTok = nextNonSpace();
        const blockName = parseTemplateName(nameTok, context);
        const pipe = pipeline(context, 'rightDelim');
        withFreshVars(() => {
          const body = itemList();
          if (body.next.kind !== 'end') errorf(`unexpected {{else}} in ${context}`);
          addTree(blockName, body.list);
        });
        return { kind: 'template', pos: nameTok.pos, name: blockName, pipe } satisfies TemplateNode;
      }
      case 'break':
      case 'continue': {
        const tok = nextNonSpace();
        if (tok.typ !== 'rightDelim') unexpected(tok, `{{${it.typ}}}`);
        if (rangeDepth === 0) errorf(`{{${it.typ}}} outside {{range}}`);
        return { kind: it.typ, pos: it.pos };
      }
      case 'else': {
        const p = peekNonSpace();
        if (p.typ === 'if' || p.typ === 'with') return { kind: 'else', pos: p.pos };
        return { kind: 'else', pos: expect('rightDelim', 'else').pos };
      }
      case 'end':
        return { kind: 'end', pos: expect('rightDelim', 'end').pos };
      case 'if':
      case 'range':
      case 'with':
        return parseControl(it.typ);
      case 'template': {
        const context = 'template clause';
        const nameTok = nextNonSpace();
        const tmplName = parseTemplateName(nameTok, context);
        let pipe: PipeNode | undefined;
        if (nextNonSpace().typ !== 'rightDelim') {
          backup();
          pipe = pipeline(context, 'rightDelim');
        }
        return { kind: 'template', pos: nameTok.pos, name: tmplName, pipe };
      }
      default: {
        backup();
        const tok = peek();
        return { kind: 'action', pos: tok.pos, pipe: pipeline('command', 'rightDelim') };
      }
    }
  };

  function textOrAction(): Node | EndMarker {
    const it = nextNonSpace();
    switch (it.typ) {
      case 'text': return { kind: 'text', pos: it.pos, text: it.val };
      case 'leftDelim': return action();
      default: return unexpected(it, 'input');
    }
  }

  const root: ListNode = { kind: 'list', pos: peek().pos, nodes: [] };
  while (peek().typ !== 'eof') {
    if (peek().typ === 'leftDelim') {
      const delimIndex = cursor;
      next();
      if (nextNonSpace().typ === 'define') {
        withFreshVars(() => {
          const context = 'define clause';
          const nameTok = nextNonSpace();
          if (nameTok.typ !== 'string' && nameTok.typ !== 'rawString') unexpected(nameTok, context);
          const defName = unquote(nameTok.val);
          expect('rightDelim', context);
          const body = itemList();
          if (body.next.kind !== 'end') errorf(`unexpected {{else}} in ${context}`);
          addTree(defName, body.list);
        });
        continue;
      }
      cursor = delimIndex;
    }
    const n = textOrAction();
    if (n.kind === 'end' || n.kind === 'else') errorf(`unexpected {{${n.kind}}}`);
    else root.nodes.push(n);
  }
  addTree(name, root);
  return { name, text, trees };
}

function isEmptyTree(n: ListNode): boolean {
  return n.nodes.every((c) => c.kind === 'text' && c.text.trim() === '');
}
