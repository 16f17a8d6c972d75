import { viewerOf } from "../../context.ts";
import { builder } from "../../graphql/builder.ts";
import { withoutNulls } from "../spaces/space.graphql.ts";
import type { MemberRecord } from "./member.repository.ts";
import { canSeeMember } from "./member.service.ts";

export const MemberRef = builder.objectRef<MemberRecord>("Member").implement({
  description:
    "A member whose home is in this network. The personal fields never leave this agent: the hub knows the id and the home space only.",
  authScopes: (member, ctx) => ctx.viewer !== null && canSeeMember(ctx.viewer, member),
  fields: (t) => ({
    id: t.exposeID("id", { description: "The pseudonymous id the whole network uses" }),
    homeSpaceId: t.exposeID("homeSpaceId"),
    displayName: t.exposeString("displayName", {
      nullable: true,
      description: "Personal; null for a member handed over by the hub until it is filled in",
    }),
    email: t.exposeString("email", { nullable: true, description: "Personal" }),
    phone: t.exposeString("phone", { nullable: true, description: "Personal" }),
    firstName: t.exposeString("firstName", { nullable: true, description: "Personal" }),
    organisation: t.exposeString("organisation", { nullable: true, description: "Personal" }),
    owned: t.exposeBoolean("owned", { description: "True when this node is the member's home" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.queryFields((t) => ({
  members: t.field({
    type: [MemberRef],
    description: "The members whose home is this space.",
    authScopes: (_parent, args) => ({ fabriqueAdmin: true, ownSpace: String(args.spaceId) }),
    args: { spaceId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.members.ofSpace(viewerOf(ctx), String(args.spaceId)),
  }),
  memberDataExport: t.field({
    type: "String",
    description:
      "Right of access: everything this node holds about a member homed here, as JSON text (record and consent, passes, visits, disclosures, bookings, booking requests, enrolments, credentials). The member itself or its home team; FORBIDDEN otherwise.",
    authScopes: { authenticated: true },
    args: { memberId: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.members.dataExport(viewerOf(ctx), String(args.memberId)),
  }),
  member: t.field({
    type: MemberRef,
    nullable: true,
    description: "A member; null when absent or not visible to the caller.",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.members.find(viewerOf(ctx), String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  registerMember: t.field({
    type: MemberRef,
    description: "Registers a member whose home is an open space of this network.",
    authScopes: (_parent, args) => ({ fabriqueAdmin: true, ownSpace: String(args.homeSpaceId) }),
    args: {
      homeSpaceId: t.arg.id({ required: true }),
      displayName: t.arg.string({ required: true }),
      email: t.arg.string(),
      phone: t.arg.string(),
      firstName: t.arg.string(),
      organisation: t.arg.string(),
    },
    resolve: (_parent, args, ctx) =>
      ctx.members.register(
        viewerOf(ctx),
        withoutNulls({ ...args, homeSpaceId: String(args.homeSpaceId) }),
      ),
  }),
  updateMember: t.field({
    type: MemberRef,
    description:
      "Changes a member's personal fields (null clears email, phone, first name or organisation) or home space. Only a new home is sent to the hub.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: {
      id: t.arg.id({ required: true }),
      homeSpaceId: t.arg.id(),
      displayName: t.arg.string(),
      email: t.arg.string(),
      phone: t.arg.string(),
      firstName: t.arg.string(),
      organisation: t.arg.string(),
    },
    resolve: (_parent, args, ctx) => {
      const { id, ...fields } = args;
      // An explicit null clears email and phone; omitted fields stay as they are.
      const input: Record<string, unknown> = withoutNulls({
        homeSpaceId: fields.homeSpaceId === undefined ? undefined : fields.homeSpaceId,
        displayName: fields.displayName,
      });
      if (fields.email !== undefined) input.email = fields.email;
      if (fields.phone !== undefined) input.phone = fields.phone;
      if (fields.firstName !== undefined) input.firstName = fields.firstName;
      if (fields.organisation !== undefined) input.organisation = fields.organisation;
      if (input.homeSpaceId !== undefined) input.homeSpaceId = String(input.homeSpaceId);
      return ctx.members.update(viewerOf(ctx), String(id), input);
    },
  }),
  eraseMember: t.field({
    type: "ID",
    description:
      "Deletes the member's personal data here and sends a tombstone to every replica. Returns the id.",
    authScopes: { fabriqueAdmin: true, satellite: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_parent, args, ctx) => ctx.members.erase(viewerOf(ctx), String(args.id)),
  }),
}));
