// Parse-tree node types for the Go text/template subset, with Go's String() renderings
// (they appear in execution error messages as "at <…>").

export interface ListNode { readonly kind: 'list'; readonly pos: number; readonly nodes: Node[] }
export interface TextNode { readonly kind: 'text'; readonly pos: number; readonly text: string }
export interface ActionNode { readonly kind: 'action'; readonly pos: number; readonly pipe: PipeNode }
export interface ControlNode {
  readonly kind: 'if' | 'range' | 'with';
  readonly pos: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | undefined;
}
export interface TemplateNode { readonly kind: 'template'; readonly pos: number; readonly name: string; readonly pipe: PipeNode | undefined }
export interface BreakNode { readonly kind: 'break' | 'continue'; readonly pos: number }

export type Node = ListNode | TextNode | ActionNode | ControlNode | TemplateNode | BreakNode;

export interface VariableNode { readonly kind: 'variable'; readonly pos: number; readonly ident: string[] }
export interface PipeNode {
  readonly kind: 'pipe';
  readonly pos: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface CommandNode { readonly kind: 'command'; readonly pos: number; readonly args: ArgNode[] }
export interface IdentifierNode { readonly kind: 'identifier'; readonly pos: number; readonly ident: string }
export interface FieldNode { readonly kind: 'field'; readonly pos: number; readonly ident: string[] }
export interface ChainNode { readonly kind: 'chain'; readonly pos: number; readonly node: ArgNode; readonly field: string[] }
export interface DotNode { readonly kind: 'dot'; readonly pos: number }
export interface NilNode { readonly kind: 'nil'; readonly pos: number }
export interface BoolNode { readonly kind: 'bool'; readonly pos: number; readonly value: boolean }
export interface NumberNode {
  readonly kind: 'number';
  readonly pos: number;
  readonly text: string;
  /** Set when the constant is an integer (Go int). */
  readonly int: bigint | undefined;
  /** Set when the constant is representable as float64. */
  readonly float: number | undefined;
}
export interface StringNode { readonly kind: 'string'; readonly pos: number; readonly quoted: string; readonly text: string }

export type ArgNode =
  | PipeNode | IdentifierNode | VariableNode | FieldNode | ChainNode | DotNode | NilNode | BoolNode | NumberNode | StringNode;

export type AnyNode = Node | ArgNode | CommandNode;

export function nodeString(n: AnyNode): string {
  switch (n.kind) {
    case 'list': return n.nodes.map(nodeString).join('');
    case 'text': return JSON.stringify(n.text);
    case 'action': return `{{${nodeString(n.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with': {
      const els = n.elseList ? `{{else}}${nodeString(n.elseList)}` : '';
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'template':
      return n.pipe ? `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}` : `{{template ${JSON.stringify(n.name)}}}`;
    case 'break': return '{{break}}';
    case 'continue': return '{{continue}}';
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) {
        s = n.decl.map(nodeString).join(', ') + (n.isAssign ? ' = ' : ' := ');
      }
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'identifier': return n.ident;
    case 'variable': return n.ident.join('.');
    case 'field': return n.ident.map((i) => `.${i}`).join('');
    case 'chain': {
      const base = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return base + n.field.map((f) => `.${f}`).join('');
    }
    case 'dot': return '.';
    case 'nil': return 'nil';
    case 'bool': return n.value ? 'true' : 'false';
    case 'number': return n.text;
    case 'string': return n.quoted;
  }
}
