import { useState } from "preact/hooks";
import { Link } from "../../app/router.ts";
import { errorMessage } from "../../client/errors.ts";
import { request } from "../../client/http.ts";
import { formatDate, t } from "../../i18n/i18n.ts";
import { DataTable } from "../../ui/data-table.tsx";
import { ErrorBanner } from "../../ui/error-banner.tsx";
import { SelectField, TextField } from "../../ui/field.tsx";
import { useReady } from "../live.ts";
import {
  CloseSatelliteMutation,
  CreateSatelliteMutation,
  RegisterMemberMutation,
} from "../queries.ts";
import {
  FormPanel,
  Loading,
  type Notice,
  NoticeBanner,
  Page,
  useMembers,
  useTeamSpaces,
} from "./parts.tsx";

const text = (form: FormData, name: string) => {
  const value = String(form.get(name) ?? "").trim();
  return value === "" ? undefined : value;
};

export default function SatellitesPage() {
  const [showClosed, setShowClosed] = useState(false);
  const spaces = useTeamSpaces(showClosed);
  const [version, setVersion] = useState(0);
  const [notice, setNotice] = useState<Notice>();
  const [filter, setFilter] = useState("");
  const openSpaces = spaces.spaces.filter((s) => s.status === "OPEN");
  const members = useMembers(
    spaces.spaces.map((s) => s.id),
    version,
  );
  useReady(Boolean((spaces.data && members) || spaces.error));

  const satellites = spaces.data?.satellites ?? [];
  const memberRows =
    members && "rows" in members
      ? members.rows.filter((m) => !filter || m.homeSpaceId === filter)
      : [];

  const close = async (id: string, name: string) => {
    if (!window.confirm(t("console.satellites.closeConfirm", { name }))) return;
    try {
      await request(CloseSatelliteMutation, { id });
      setNotice({ kind: "success", text: t("console.satellites.closed", { name }) });
      await spaces.refetch();
    } catch (e) {
      setNotice({ kind: "error", text: errorMessage(e) });
    }
  };

  return (
    <Page title={t("console.satellites.title")}>
      <NoticeBanner notice={notice} />
      <ErrorBanner error={spaces.error} />
      <section aria-labelledby="sat-list">
        <h2 id="sat-list">{t("console.satellites.list")}</h2>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={showClosed}
            onChange={(e) => setShowClosed(e.currentTarget.checked)}
          />{" "}
          {t("console.satellites.showClosed")}
        </label>
        {!spaces.data ? (
          <Loading />
        ) : (
          <DataTable
            caption={t("console.satellites.caption")}
            csvName="satellites"
            rows={satellites}
            rowKey={(s) => s.id}
            columns={[
              { key: "name", label: t("console.col.name"), value: (s) => s.name, rowHeader: true },
              {
                key: "commune",
                label: t("console.col.commune"),
                value: (s) => s.commune?.name ?? s.communeCode,
              },
              {
                key: "department",
                label: t("console.col.department"),
                value: (s) =>
                  s.commune ? `${s.commune.department.code} ${s.commune.department.name}` : "",
              },
              {
                key: "status",
                label: t("console.col.status"),
                value: (s) =>
                  s.status === "OPEN" ? t("console.space.OPEN") : t("console.space.CLOSED"),
              },
              {
                key: "members",
                label: t("console.col.members"),
                numeric: true,
                value: (s) =>
                  members && "rows" in members
                    ? members.rows.filter((m) => m.homeSpaceId === s.id).length
                    : null,
              },
              {
                key: "actions",
                label: t("console.col.actions"),
                value: () => "",
                render: (s) =>
                  s.owned && s.status === "OPEN" ? (
                    <button
                      type="button"
                      class="secondary"
                      aria-label={t("console.satellites.closeNamed", { name: s.name })}
                      onClick={() => void close(s.id, s.name)}
                    >
                      {t("console.satellites.close")}
                    </button>
                  ) : null,
              },
            ]}
          />
        )}
        <CreateSatellite
          onCreated={(name) => {
            setNotice({ kind: "success", text: t("console.satellites.created", { name }) });
            void spaces.refetch();
          }}
        />
      </section>

      <section aria-labelledby="mem-list">
        <h2 id="mem-list">{t("console.members.list")}</h2>
        <p class="hint">{t("console.members.personalHint")}</p>
        <SelectField
          label={t("console.members.filterSpace")}
          value={filter}
          onChange={(e) => setFilter(e.currentTarget.value)}
          options={[
            { value: "", label: t("console.members.allSpaces") },
            ...spaces.spaces.map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
        {!members ? (
          <Loading />
        ) : "error" in members ? (
          <ErrorBanner error={members.error} />
        ) : (
          <DataTable
            caption={t("console.members.caption")}
            csvName="membres"
            rows={memberRows}
            rowKey={(m) => m.id}
            initialSort={{ key: "name" }}
            columns={[
              {
                key: "name",
                label: t("console.col.name"),
                rowHeader: true,
                value: (m) => m.displayName ?? "",
                render: (m) => (
                  <Link to={`/members/${m.id}`}>
                    {m.displayName ?? t("console.members.unnamed")}
                  </Link>
                ),
              },
              {
                key: "firstName",
                label: t("console.col.firstName"),
                value: (m) => m.firstName ?? "",
              },
              { key: "email", label: t("console.col.email"), value: (m) => m.email ?? "" },
              { key: "phone", label: t("console.col.phone"), value: (m) => m.phone ?? "" },
              {
                key: "organisation",
                label: t("console.col.organisation"),
                value: (m) => m.organisation ?? "",
              },
              {
                key: "home",
                label: t("console.col.home"),
                value: (m) => spaces.names.get(m.homeSpaceId) ?? m.homeSpaceId,
              },
              {
                key: "since",
                label: t("console.col.since"),
                value: (m) => m.createdAt.slice(0, 10),
                render: (m) => formatDate(m.createdAt),
              },
            ]}
          />
        )}
        <RegisterMember
          spaces={openSpaces}
          onRegistered={(name) => {
            setNotice({ kind: "success", text: t("console.members.registered", { name }) });
            setVersion((v) => v + 1);
          }}
        />
      </section>
    </Page>
  );
}

function CreateSatellite({ onCreated }: { onCreated(name: string): void }) {
  return (
    <FormPanel
      summary={t("console.satellites.create")}
      submitLabel={t("console.satellites.createSubmit")}
      submit={async (form) => {
        const name = text(form, "name") ?? "";
        await request(CreateSatelliteMutation, {
          input: {
            name,
            communeCode: text(form, "communeCode") ?? "",
            services: (text(form, "services") ?? "")
              .split(",")
              .map((s) => s.trim())
              .filter(Boolean),
          },
        });
        return () => onCreated(name);
      }}
    >
      <TextField label={t("console.col.name")} name="name" required autoComplete="off" />
      <TextField
        label={t("console.satellites.communeCode")}
        hint={t("console.satellites.communeHint")}
        name="communeCode"
        required
        pattern="[0-9AB]{5}"
        inputMode="numeric"
      />
      <TextField
        label={t("console.satellites.services")}
        hint={t("console.satellites.servicesHint")}
        name="services"
      />
    </FormPanel>
  );
}

function RegisterMember({
  spaces,
  onRegistered,
}: {
  spaces: readonly { id: string; name: string }[];
  onRegistered(name: string): void;
}) {
  return (
    <FormPanel
      summary={t("console.members.register")}
      submitLabel={t("console.members.registerSubmit")}
      submit={async (form) => {
        const displayName = text(form, "displayName") ?? "";
        await request(RegisterMemberMutation, {
          displayName,
          homeSpaceId: text(form, "homeSpaceId") ?? "",
          firstName: text(form, "firstName"),
          email: text(form, "email"),
          phone: text(form, "phone"),
          organisation: text(form, "organisation"),
        });
        return () => onRegistered(displayName);
      }}
    >
      <MemberFields spaces={spaces} />
    </FormPanel>
  );
}

/** The member form's fields (register and update), named as the API's arguments. */
export function MemberFields({
  spaces,
  initial,
}: {
  spaces: readonly { id: string; name: string }[];
  initial?: Partial<
    Record<
      "displayName" | "firstName" | "email" | "phone" | "organisation" | "homeSpaceId",
      string | null
    >
  >;
}) {
  /** A text field filled with the member's value (empty to register). */
  const field = (
    name: "displayName" | "firstName" | "email" | "phone" | "organisation",
    label: string,
    input: { required?: boolean; type?: string } = {},
  ) => (
    <TextField
      label={label}
      name={name}
      {...input}
      autoComplete="off"
      defaultValue={initial?.[name] ?? ""}
    />
  );
  return (
    <div class="form-grid">
      {field("displayName", t("console.members.displayName"), { required: true })}
      {field("firstName", t("console.col.firstName"))}
      {field("email", t("console.col.email"), { type: "email" })}
      {field("phone", t("console.col.phone"), { type: "tel" })}
      {field("organisation", t("console.col.organisation"))}
      <SelectField
        label={t("console.col.home")}
        name="homeSpaceId"
        required
        defaultValue={initial?.homeSpaceId ?? spaces[0]?.id ?? ""}
        options={spaces.map((s) => ({ value: s.id, label: s.name }))}
      />
    </div>
  );
}
