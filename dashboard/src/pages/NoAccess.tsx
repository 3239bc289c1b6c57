import { PageHeader } from '../components/ui';
import { Link } from '../router';
import { useSession } from '../session';

/**
 * Shown instead of a page the user may not open (`what`), or as the home page of a user who may
 * open none yet: no error, no raw permission name, and who can change it.
 */
export function NoAccessPage({ what, home }: { what?: string; home: string | null }) {
  const s = useSession();
  const admins = s.me.user.isAdmin ? 'another admin of your account' : 'an admin of your account';
  return (
    <>
      <PageHeader title={what ? `No access to ${what}` : `Welcome, ${s.me.user.name}`} />
      <section className="card no-access" aria-labelledby="no-access-title">
        <h2 className="card-title" id="no-access-title">
          {what ? 'Your user account does not have the permission to open this page' : 'You do not have access to any feature yet'}
        </h2>
        <p>
          If you do not have access to this feature or some of its functionality you may require your administrator to update your user
          account's permissions. Ask {admins} ({s.account.name}) to grant them on the Users page; then sign out and in again, or reload.
        </p>
        <p className="hint">
          Signed in as <strong>{s.me.user.email}</strong>.
        </p>
        <div className="card-actions">
          {home ? (
            <Link to={home} className="button button-primary">
              Go to a page you can open
            </Link>
          ) : (
            <button type="button" className="button" onClick={() => location.reload()}>
              Reload
            </button>
          )}
          <button type="button" className="button" onClick={s.signOut}>
            Sign out
          </button>
        </div>
      </section>
    </>
  );
}
