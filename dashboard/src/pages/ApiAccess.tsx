import { SharedSecretSection } from '../components/SharedSecret';
import { PageHeader } from '../components/ui';
import { Link } from '../router';

export function ApiAccessPage() {
  return (
    <>
      <PageHeader title="API ACCESS" subtitle="Manage how your devices authenticate with the API." />
      <div className="option-grid">
        <SharedSecretSection />
        <section className="card option">
          <h2>Device API access secrets</h2>
          <p className="muted">
            By default every device gets its own unique API access secret. Open a device to see which secret it uses or to reset its own.
          </p>
          <Link to="/devices" className="button">
            Go to Devices
          </Link>
        </section>
      </div>
    </>
  );
}
