// What the dispatcher needs after a restart, in SQLite: the alerts it holds (resolved ones until
// they are told) and each aggregation group's last notification.
import type { Db } from '../store/database.js';
import type { GroupState } from './dispatcher.js';
import type { NotifiedAlert } from './notification.js';

export const ROUTER_MIGRATIONS = [
  {
    id: 'router:1',
    sql: `CREATE TABLE router_alerts (fingerprint TEXT PRIMARY KEY, alert TEXT NOT NULL);
    CREATE TABLE router_groups (id TEXT PRIMARY KEY, state TEXT NOT NULL);`,
  },
];

export interface RouterStore {
  alert(a: NotifiedAlert, gone: boolean): void;
  group(g: GroupState, gone: boolean): void;
  batch(fn: () => void): void;
  load(): { alerts: NotifiedAlert[]; groups: GroupState[] };
}

export function createRouterStore(db: Db): RouterStore {
  const putAlert = db.prepare('INSERT INTO router_alerts (fingerprint, alert) VALUES (?, ?) ON CONFLICT (fingerprint) DO UPDATE SET alert = excluded.alert');
  const dropAlert = db.prepare('DELETE FROM router_alerts WHERE fingerprint = ?');
  const putGroup = db.prepare('INSERT INTO router_groups (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state');
  const dropGroup = db.prepare('DELETE FROM router_groups WHERE id = ?');
  const allAlerts = db.prepare<[], { alert: string }>('SELECT alert FROM router_alerts');
  const allGroups = db.prepare<[], { state: string }>('SELECT state FROM router_groups');
  const groupId = (g: GroupState) => `${g.receiver}\u0000${g.groupKey}`;
  return {
    batch: (fn) => db.transaction(fn)(),
    alert: (a, gone) => void (gone ? dropAlert.run(a.fingerprint) : putAlert.run(a.fingerprint, JSON.stringify(a))),
    group: (g, gone) => void (gone ? dropGroup.run(groupId(g)) : putGroup.run(groupId(g), JSON.stringify(g))),
    load: () => ({
      alerts: allAlerts.all().map((r) => JSON.parse(r.alert) as NotifiedAlert),
      groups: allGroups.all().map((r) => JSON.parse(r.state) as GroupState),
    }),
  };
}
